import { sql, type Generated, type Kysely } from 'kysely'

export type EnvironmentType = 'production' | 'sandbox' | 'developer'
/** How an environment's data keys are wrapped (environments.key_layout). */
export type KeyLayout = 'separate' | 'together'
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
    /**
     * Version 4: JSON array of the versions `key revoke` disabled, so `key restore` re-enables
     * exactly those (and not versions retired before); NULL when the key is not revoked.
     */
    revoked_versions: Generated<string | null>
    /**
     * Version 6: what the key-health check last found for the key's versions in use
     * ('available' | 'unreachable' | 'disabled' | 'missing'; the worst of them), since when,
     * and when it last looked; NULL before the first check.
     */
    health: Generated<string | null>
    health_since: Generated<string | null>
    health_checked_at: Generated<string | null>
    /** Version 6: the UTC day (YYYY-MM-DD) the check last looked at the key's expiry. */
    expiry_checked_on: Generated<string | null>
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
    /**
     * The DEK wrapped by (key_id, key_version) — in key layout 'together', DEK ‖ field key;
     * NULL once purged (crypto-shredded).
     */
    wrapped_dek: Uint8Array | null
    /**
     * Version 4 (cell-level encryption): the environment's field-encryption key, wrapped by the
     * same (key_id, key_version) as the DEK under its own context purpose ('field'). NULL
     * before the environment first needs one and once purged; an empty blob in key layout
     * 'together' (the field key is inside wrapped_dek).
     */
    wrapped_field_key: Uint8Array | null
    /**
     * Version 8: how the data keys are wrapped. 'separate': `wrapped_dek` wraps the DEK alone
     * (purpose 'environment-db') and `wrapped_field_key` the field key, or is NULL before there
     * is one. 'together': `wrapped_dek` wraps DEK ‖ field key in one blob (purpose
     * 'environment-keys') and `wrapped_field_key` is an empty blob (not NULL, which means "no
     * field key yet": a build from before version 8 refuses such a row rather than creating a
     * second field key). A re-wrap writes 'together' for an environment with a field key, so
     * a rotation unwraps one blob for it, not two.
     */
    key_layout: Generated<KeyLayout>
    /**
     * Version 5: the state a locked environment was locked from ('active' or 'disabled'), where
     * unlock returns it; NULL when not locked.
     */
    locked_from: Generated<string | null>
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
  /** Version 2 (identity): ES256 signing keys of each tenant's built-in identity provider. */
  identity_signing_keys: {
    /** The JWK `kid`. */
    kid: string
    tenant_id: string
    alg: string
    /** 'active' signs new tokens; 'retired' still verifies them until they expire. */
    status: 'active' | 'retired'
    /** The public JWK (JSON text). */
    public_jwk: string
    /** The private JWK, sealed (AES-256-GCM, src/crypto) with the identity sealing key. */
    sealed_private_jwk: Uint8Array
    created_at: string
  }
  /** Version 2 (identity): OAuth clients of the built-in provider (application users). */
  identity_clients: {
    client_id: string
    tenant_id: string
    environment_id: string
    name: string
    /** `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`; the secret itself is never stored. */
    secret_hash: string
    /** The systemuser of the application user in the environment. */
    application_user_id: string
    created_at: string
    /**
     * Version 7: JSON array of the Entra-style group object ids the client's tokens carry in
     * their `groups` claim (group teams, docs/authz.md §16); NULL for none.
     */
    groups: Generated<string | null>
  }
  /** Version 2 (identity): issuers whose access tokens a tenant accepts. */
  trusted_issuers: {
    id: string
    tenant_id: string
    /** The exact `iss` value. */
    issuer: string
    /** 'builtin' (this server's provider) or 'external' (the tenant's own IdP). */
    kind: 'builtin' | 'external'
    /** Inline JWKS (JSON text, public keys only), or null when jwks_uri is used. */
    jwks: string | null
    /** Remote JWKS URL (external issuers; from configuration only, never from a request). */
    jwks_uri: string | null
    /** JSON array of accepted JWS algorithms (never 'none' nor HS*). */
    algorithms: string
    created_at: string
  }
  /** Version 3 (customer-managed keys): a tenant's encryption policies (dataverse-spec §2). */
  encryption_policies: {
    id: string
    tenant_id: string
    name: string
    /** The customer-managed tenant key (tenant_keys.id) the policy points at. */
    key_id: string
    /** Only environments of this region can be added. */
    region: string
    created_at: string
  }
  /** Version 3: which environments a policy covers; an environment is in at most one. */
  encryption_policy_environments: {
    environment_id: string
    policy_id: string
    added_at: string
  }
}

const SCHEMA_VERSION = 8

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
    if (current === SCHEMA_VERSION) return
    if (current < 1) await createVersion1(trx)
    if (current < 2) await createVersion2(trx)
    if (current < 3) await createVersion3(trx)
    if (current < 4) await createVersion4(trx)
    if (current < 5) await createVersion5(trx)
    if (current < 6) await createVersion6(trx)
    if (current < 7) await addClientGroups(trx)
    if (current < 8) await addKeyLayout(trx)
    await trx
      .insertInto('control_meta')
      .values({ key: 'schema_version', value: String(SCHEMA_VERSION) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(SCHEMA_VERSION) }))
      .execute()
  })
}

/** Version 1: regions, tenants, tenant keys, environments, history. */
async function createVersion1(trx: Kysely<ControlDb>): Promise<void> {
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
}

/** Version 2: the identity tables (signing keys, OAuth clients, trusted issuers). */
async function createVersion2(trx: Kysely<ControlDb>): Promise<void> {
  await trx.schema
    .createTable('identity_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('sealed_private_jwk', 'blob', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await trx.schema
    .createIndex('identity_signing_keys_tenant')
    .on('identity_signing_keys')
    .columns(['tenant_id', 'status'])
    .execute()
  await trx.schema
    .createTable('identity_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('application_user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await trx.schema
    .createIndex('identity_clients_environment')
    .on('identity_clients')
    .columns(['tenant_id', 'environment_id'])
    .execute()
  await trx.schema
    .createTable('trusted_issuers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('jwks', 'text')
    .addColumn('jwks_uri', 'text')
    .addColumn('algorithms', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('trusted_issuers_issuer', ['tenant_id', 'issuer'])
    .execute()
}

/** Version 3: encryption policies and their environments (customer-managed keys). */
async function createVersion3(trx: Kysely<ControlDb>): Promise<void> {
  await trx.schema
    .createTable('encryption_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull().references('tenant_keys.id'))
    .addColumn('region', 'text', (c) => c.notNull().references('regions.name'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('encryption_policies_name', ['tenant_id', 'name'])
    .execute()
  await trx.schema
    .createTable('encryption_policy_environments')
    .addColumn('environment_id', 'text', (c) => c.primaryKey().references('environments.id'))
    .addColumn('policy_id', 'text', (c) => c.notNull().references('encryption_policies.id'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .execute()
  await trx.schema
    .createIndex('encryption_policy_environments_policy')
    .on('encryption_policy_environments')
    .columns(['policy_id'])
    .execute()
}

/**
 * Version 4: the wrapped field-encryption key beside the wrapped DEK (cell-level encryption,
 * docs/keys.md). Existing environments get their field key lazily, on first use
 * (resolveFieldKey): wrapping needs the key provider, which a schema migration must not call.
 */
async function createVersion4(trx: Kysely<ControlDb>): Promise<void> {
  await trx.schema.alterTable('environments').addColumn('wrapped_field_key', 'blob').execute()
}

/** Version 5: what revoke disabled (per key) and what a lock interrupted (per environment). */
async function createVersion5(trx: Kysely<ControlDb>): Promise<void> {
  await trx.schema.alterTable('tenant_keys').addColumn('revoked_versions', 'text').execute()
  await trx.schema.alterTable('environments').addColumn('locked_from', 'text').execute()
}

/** Version 6: the key-health check's last finding per key, and its daily expiry look. */
async function createVersion6(trx: Kysely<ControlDb>): Promise<void> {
  for (const column of ['health', 'health_since', 'health_checked_at', 'expiry_checked_on']) {
    await trx.schema.alterTable('tenant_keys').addColumn(column, 'text').execute()
  }
}

/** Version 8: environments.key_layout ('separate' for every existing row). */
async function addKeyLayout(trx: Kysely<ControlDb>): Promise<void> {
  await trx.schema
    .alterTable('environments')
    .addColumn('key_layout', 'text', (c) =>
      c
        .notNull()
        .defaultTo('separate')
        .check(sql`key_layout in ('separate', 'together')`),
    )
    .execute()
}

/**
 * Version 7: the group object ids an application's tokens carry (`groups` claim), for Entra
 * group teams (docs/authz.md §16).
 */
async function addClientGroups(trx: Kysely<ControlDb>): Promise<void> {
  await trx.schema.alterTable('identity_clients').addColumn('groups', 'text').execute()
}
