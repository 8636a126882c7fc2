import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { installColumnSecuritySchema } from '../authz/install-column-security-schema.ts'
import { installSecuritySchema } from '../authz/install-security-schema.ts'
import { PREDEFINED_ROLES } from '../authz/predefined-roles.ts'
import type { EnvDb } from '../storage/index.ts'
import { systemClock, type Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import { nowText } from './internal/context.ts'
import { insertRow } from './create-record.ts'
import { columnSecurityTables } from './column-security-tables.ts'
import { requireEnvSetting } from './internal/env-settings.ts'
import { nextVersion } from './internal/next-version.ts'
import { writeColumn, writeTable } from './internal/table-ddl.ts'
import type { TableDef } from './model.ts'
import { seedRow } from './provision-environment.ts'
import { installTeamIndexes } from './install-team-indexes.ts'
import { teamAccessColumns, teamTemplateTable } from './team-template-tables.ts'
import {
  roleSecurityColumns,
  securityTables,
  standardTables,
  systemUserRolesTable,
} from './standard-tables.ts'

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = 7

interface Migration {
  readonly version: number
  readonly up: (trx: EnvDb, clock: Clock) => Promise<void>
}

/**
 * Version 1: the metadata tables. Their names start with '_', which no logical name can, so
 * they never collide with a table a client creates. All are STRICT: SQLite refuses a value of
 * the wrong storage class instead of converting it.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    async up(trx) {
      await trx.schema
        .createTable('_env')
        .addColumn('key', 'text', (c) => c.primaryKey().notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .modifyEnd(sql`strict`)
        .execute()
      await trx.schema
        .createTable('_tables')
        .addColumn('name', 'text', (c) => c.primaryKey().notNull())
        .addColumn('entity_set_name', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('ownership', 'text', (c) =>
          c.notNull().check(sql`ownership in ('user', 'organization')`),
        )
        .addColumn('primary_id', 'text', (c) => c.notNull())
        .addColumn('primary_name', 'text', (c) => c.notNull())
        .addColumn('system', 'integer', (c) => c.notNull().check(sql`system in (0, 1)`))
        .addColumn('created_on', 'text', (c) => c.notNull())
        .modifyEnd(sql`strict`)
        .execute()
      await trx.schema
        .createTable('_columns')
        .addColumn('table_name', 'text', (c) =>
          c.notNull().references('_tables.name').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('required', 'integer', (c) => c.notNull().check(sql`required in (0, 1)`))
        .addColumn('system', 'integer', (c) => c.notNull().check(sql`system in (0, 1)`))
        .addColumn('primary_role', 'text', (c) => c.check(sql`primary_role in ('id', 'name')`))
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('_columns_pk', ['table_name', 'name'])
        .modifyEnd(sql`strict`)
        .execute()
      await trx.schema
        .createTable('_rowversion')
        .addColumn('id', 'integer', (c) =>
          c
            .primaryKey()
            .notNull()
            .check(sql`id = 1`),
        )
        .addColumn('value', 'integer', (c) => c.notNull())
        .modifyEnd(sql`strict`)
        .execute()
      await trx.insertInto('_rowversion').values({ id: 1, value: 0 }).execute()
    },
  },
  {
    // Version 2: the systemuserroles association table (identity: application users' roles).
    // A database provisioned before it gets the table now; an unprovisioned one gets it with
    // the other standard tables at provisioning.
    version: 2,
    async up(trx, clock) {
      const names = await trx
        .selectFrom('_tables')
        .select('name')
        .where('name', 'in', ['systemuser', 'systemuserroles'])
        .execute()
      const present = new Set(names.map((r) => String(r['name'])))
      if (!present.has('systemuser') || present.has('systemuserroles')) return
      await writeTable(trx, systemUserRolesTable(), nowText(clock))
    },
  },
  {
    // Version 3: alternate key definitions (Dataverse EntityKeys, issue 4). Each row is backed
    // by a UNIQUE index named `_key.<table>.<key>` on the table (see records/create-key).
    version: 3,
    async up(trx) {
      await createKeysTable(trx)
    },
  },
  {
    // Version 4: the security model (issue #5, docs/authz.md §2). Self-contained, numbered
    // after version 3 (alternate keys, another branch); renumber at merge if needed.
    version: 4,
    up: migrateSecurityModel,
  },
  {
    // Version 5: the owningbusinessunit index of user-owned tables gains the primary id
    // (issue #5 performance, docs/authz.md §5).
    version: 5,
    up: migrateBusinessUnitIndexes,
  },
  {
    // Version 6: column (field) security (issue #5, docs/authz.md §12).
    version: 6,
    up: migrateColumnSecurity,
  },
  {
    // Version 7: access teams, team templates and Entra group teams (issue #5, docs/authz.md
    // §14). Self-contained; renumber at merge if another branch took 7.
    version: 7,
    up: migrateAccessAndGroupTeams,
  },
]

/**
 * Version 7 on a provisioned database: the teamtemplate table and the team columns of access
 * and group teams (teamtemplateid, regardingobjectid, regardingobjecttypecode, systemmanaged,
 * azureactivedirectoryobjectid, membershiptype), with an index on the Entra object id.
 * Idempotent (each table and column is checked first); an unprovisioned database gets them at
 * provisioning.
 */
async function migrateAccessAndGroupTeams(trx: EnvDb, clock: Clock): Promise<void> {
  const names = await trx.selectFrom('_tables').select('name').execute()
  const present = new Set(names.map((r) => String(r['name'])))
  if (!present.has('team')) return
  if (!present.has('teamtemplate')) await writeTable(trx, teamTemplateTable(), nowText(clock))
  const teamTable = standardTables().find((t) => t.name === 'team') as TableDef
  const columns = await trx
    .selectFrom('_columns')
    .select(['name', 'ordinal'])
    .where('table_name', '=', 'team')
    .execute()
  let ordinal = Math.max(...columns.map((c) => Number(c['ordinal'])))
  for (const column of teamAccessColumns()) {
    if (columns.some((c) => c['name'] === column.name)) continue
    ordinal += 1
    await writeColumn(trx, teamTable, column, ordinal)
  }
  await installTeamIndexes(trx)
}

/**
 * Version 5 on a provisioned database: the field security tables and their triggers. Idempotent
 * (each table is checked first); an unprovisioned database gets them at provisioning.
 */
async function migrateColumnSecurity(trx: EnvDb, clock: Clock): Promise<void> {
  const names = await trx.selectFrom('_tables').select('name').execute()
  const present = new Set(names.map((r) => String(r['name'])))
  if (!present.has('systemuser') || !present.has('team')) return
  const now = nowText(clock)
  for (const table of columnSecurityTables()) {
    if (!present.has(table.name)) await writeTable(trx, table, now)
  }
  await installColumnSecuritySchema(trx)
}

/** The `_keys` metadata table: one row per alternate key; `columns` is a JSON array. */
async function createKeysTable(trx: EnvDb): Promise<void> {
  await trx.schema
    .createTable('_keys')
    .ifNotExists()
    .addColumn('table_name', 'text', (c) =>
      c.notNull().references('_tables.name').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('columns', 'text', (c) => c.notNull())
    .addColumn('ordinal', 'integer', (c) => c.notNull())
    .addColumn('created_on', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('_keys_pk', ['table_name', 'name'])
    .modifyEnd(sql`strict`)
    .execute()
}

/**
 * Version 4 on a provisioned database: the security tables, role.roletemplateid and
 * role.isinherited, template ids on the seeded roles, the other predefined roles, and the
 * internal closure table with its triggers. Every step checks first, so it is idempotent.
 * An unprovisioned database gets all of it at provisioning.
 */
async function migrateSecurityModel(trx: EnvDb, clock: Clock): Promise<void> {
  const names = await trx.selectFrom('_tables').select('name').execute()
  const present = new Set(names.map((r) => String(r['name'])))
  if (!present.has('businessunit') || !present.has('role')) return
  const now = nowText(clock)
  for (const table of securityTables()) {
    if (!present.has(table.name)) await writeTable(trx, table, now)
  }
  const roleTable = standardTables().find((t) => t.name === 'role') as TableDef
  const columns = await trx
    .selectFrom('_columns')
    .select(['name', 'ordinal'])
    .where('table_name', '=', 'role')
    .execute()
  let ordinal = Math.max(...columns.map((c) => Number(c['ordinal'])))
  for (const column of roleSecurityColumns()) {
    if (columns.some((c) => c['name'] === column.name)) continue
    ordinal += 1
    await writeColumn(trx, roleTable, column, ordinal)
  }
  const systemUserId = await requireEnvSetting(trx, 'system_user_id')
  const rootBusinessUnitId = await requireEnvSetting(trx, 'root_business_unit_id')
  const seeded: Readonly<Record<string, string>> = {
    'System Administrator': await requireEnvSetting(trx, 'system_administrator_role_id'),
    'Basic User': await requireEnvSetting(trx, 'basic_user_role_id'),
  }
  for (const role of PREDEFINED_ROLES) {
    const existing = await trx
      .selectFrom('role')
      .select('roleid')
      .where('roletemplateid', '=', role.templateId)
      .executeTakeFirst()
    if (existing !== undefined) continue
    const seededId = seeded[role.name]
    if (seededId !== undefined) {
      await trx
        .updateTable('role')
        .set({
          roletemplateid: role.templateId,
          isinherited: 0n,
          versionnumber: await nextVersion(trx),
        })
        .where('roleid', '=', seededId)
        .execute()
      continue
    }
    // Migrations get no injected Random; node:crypto is the only randomness source (STYLE §7).
    const row = await seedRow(
      trx,
      roleTable,
      randomUUID(),
      {
        name: role.name,
        businessunitid: rootBusinessUnitId,
        roletemplateid: role.templateId,
        isinherited: 0,
      },
      systemUserId,
      now,
    )
    await insertRow(trx, roleTable, row)
  }
  await installSecuritySchema(trx)
}

/**
 * Version 5: rebuilds `_ix.<table>.owningbusinessunit` as (owningbusinessunit, <primary id>) on
 * every user-owned table, so a Business Unit scope walks one unit's rows in primary id order
 * and stops at $top. Same name, so every other use of the lookup index is unchanged.
 */
async function migrateBusinessUnitIndexes(trx: EnvDb): Promise<void> {
  const tables = await trx
    .selectFrom('_tables')
    .select(['name', 'primary_id'])
    .where('ownership', '=', 'user')
    .execute()
  for (const t of tables) {
    const table = String(t['name'])
    const name = `_ix.${table}.owningbusinessunit`
    await trx.schema.dropIndex(name).ifExists().execute()
    await trx.schema
      .createIndex(name)
      .on(table)
      .columns(['owningbusinessunit', String(t['primary_id'])])
      .execute()
  }
}

const readUserVersion = async (db: EnvDb): Promise<number> => {
  const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
  return Number(rows[0]?.user_version ?? 0)
}

/**
 * Brings an environment database's schema up to SCHEMA_VERSION. Idempotent, and cheap when the
 * file is current (one `pragma user_version` read), so it serves as the storage `onOpen` hook.
 * Pending migrations run in one write transaction that re-checks the version first, so two
 * processes opening the same file never both migrate. The version is kept in SQLite's header
 * (`user_version`, the fast check) and in `_env.schema_version` (for people and tools).
 *
 * @param clock the time recorded for metadata created by a migration
 * @throws AppError INVALID_STATE when the file was written by a newer schema version
 */
export async function migrateEnvironmentDatabase(
  db: EnvDb,
  clock: Clock = systemClock,
): Promise<void> {
  const current = await readUserVersion(db)
  if (current === SCHEMA_VERSION) return
  if (current > SCHEMA_VERSION) throw tooNew(current)
  await db.transaction().execute(async (trx) => {
    const version = await readUserVersion(trx)
    if (version > SCHEMA_VERSION) throw tooNew(version)
    // Another process may have migrated while this one waited for the write lock.
    if (version === SCHEMA_VERSION) return
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue
      await migration.up(trx, clock)
    }
    await trx
      .insertInto('_env')
      .values({ key: 'schema_version', value: String(SCHEMA_VERSION) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(SCHEMA_VERSION) }))
      .execute()
    // PRAGMA takes no bound parameters; the value is this module's integer constant.
    // eslint-disable-next-line no-restricted-syntax -- integer constant, see above
    await sql`pragma user_version = ${sql.lit(SCHEMA_VERSION)}`.execute(trx)
  })
}

const tooNew = (version: number): AppError =>
  new AppError(
    'INVALID_STATE',
    `The environment database has schema version ${version}; this server supports up to ${SCHEMA_VERSION}. Upgrade the server.`,
  )
