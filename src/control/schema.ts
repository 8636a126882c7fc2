import { sql, type Generated, type Kysely } from 'kysely'

export type EnvironmentType = 'production' | 'sandbox' | 'developer'
export const ENVIRONMENT_TYPES: readonly EnvironmentType[] = ['production', 'sandbox', 'developer']

/** The control plane's tables. Timestamps are ISO-8601 UTC text. */
export interface ControlDb {
  control_meta: { key: string; value: string }
  regions: { name: string; geography: string; created_at: string }
  tenants: { id: string; name: string; created_at: string }
  tenant_keys: {
    id: string
    tenant_id: string
    name: string
    /** KeyProvider kind: 'local' (vault) now; 'pkcs11', 'byok', KMS adapters later. */
    provider: string
    provider_key_id: string
    managed_by: 'service' | 'customer'
    created_at: string
  }
  environments: {
    id: string
    tenant_id: string
    name: string
    region: string
    type: EnvironmentType
    state: string
    created_at: string
    updated_at: string
    deleted_at: string | null
    key_id: string
    key_version: number
    /** The DEK wrapped by (key_id, key_version); NULL once purged (crypto-shredded). */
    wrapped_dek: Uint8Array | null
  }
  history: {
    id: Generated<number>
    tenant_id: string
    environment_id: string | null
    at: string
    actor: string
    action: string
    detail: string
  }
}

const SCHEMA_VERSION = 1

/** Creates or upgrades the control plane schema. Idempotent; one read when current. */
export async function migrateControlDb(db: Kysely<ControlDb>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('control_meta')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute()
    const row = await trx
      .selectFrom('control_meta')
      .select('value')
      .where('key', '=', 'schema_version')
      .executeTakeFirst()
    const current = row === undefined ? 0 : Number(row.value)
    if (current > SCHEMA_VERSION) {
      throw new Error(`control plane schema ${current} is newer than this build supports`)
    }
    if (current >= 1) return

    await trx.schema
      .createTable('regions')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('geography', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
    await trx.schema
      .createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
    await trx.schema
      .createTable('tenant_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('provider_key_id', 'text', (c) => c.notNull())
      .addColumn('managed_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('tenant_keys_name', ['tenant_id', 'name'])
      .execute()
    await trx.schema
      .createTable('environments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull().references('regions.name'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'text')
      .addColumn('key_id', 'text', (c) => c.notNull().references('tenant_keys.id'))
      .addColumn('key_version', 'integer', (c) => c.notNull())
      .addColumn('wrapped_dek', 'blob')
      .execute()
    // A purged environment's name may be reused; a live one's may not.
    await trx.schema
      .createIndex('environments_live_name')
      .on('environments')
      .columns(['tenant_id', 'name'])
      .unique()
      .where(sql<boolean>`state <> 'purged'`)
      .execute()
    await trx.schema
      .createIndex('environments_key')
      .on('environments')
      .columns(['key_id', 'key_version'])
      .execute()
    await trx.schema
      .createTable('history')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('environment_id', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute()
    await trx.schema
      .createIndex('history_tenant')
      .on('history')
      .columns(['tenant_id', 'id'])
      .execute()
    await trx
      .insertInto('control_meta')
      .values({ key: 'schema_version', value: String(SCHEMA_VERSION) })
      .execute()
  })
}
