import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { installColumnSecuritySchema } from '../authz/install-column-security-schema.ts'
import { installHierarchySchema } from '../authz/install-hierarchy-schema.ts'
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
import { writePrivilegeRows } from './internal/privilege-catalog.ts'
import { writeColumn, writeTable } from './internal/table-ddl.ts'
import type { ColumnDef, TableDef } from './model.ts'
import { seedRow } from './provision-environment.ts'
import { onBehalfOfColumns } from './system-columns.ts'
import { installTeamIndexes } from './install-team-indexes.ts'
import { teamAccessColumns, teamTemplateTable } from './team-template-tables.ts'
import {
  DEFAULT_HIERARCHY_SETTINGS,
  hierarchySettingsColumns,
  managerColumn,
  roleSecurityColumns,
  securityTables,
  privilegeTable,
  standardTables,
  systemUserRolesTable,
} from './standard-tables.ts'

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = 10

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
    // Version 7: hierarchy security, manager model (issue #5, docs/authz.md §15).
    version: 7,
    up: migrateHierarchySecurity,
  },
  {
    // Version 8: organization.sharetopreviousowneronassign and the read-only privilege
    // catalog (issue #5 sharing, docs/authz.md §3 and §14).
    version: 8,
    up: migrateSharingCatalog,
  },
  {
    // Version 9: createdonbehalfby / modifiedonbehalfby on every table (impersonation, issue
    // #5, docs/authz.md §8).
    version: 9,
    up: migrateOnBehalfOfColumns,
  },
  {
    // Version 10: access teams, team templates and Entra group teams (issue #5, docs/authz.md
    // §16).
    version: 10,
    up: migrateAccessAndGroupTeams,
  },
]

/**
 * Version 7 on a provisioned database: systemuser.parentsystemuserid, the organization's
 * hierarchy security settings (set to their defaults), the manager closure and its triggers.
 * Idempotent (each column is checked first; the closure is rebuilt); an unprovisioned database
 * gets all of it at provisioning.
 */
async function migrateHierarchySecurity(trx: EnvDb): Promise<void> {
  const names = await trx.selectFrom('_tables').select('name').execute()
  const present = new Set(names.map((r) => String(r['name'])))
  if (!present.has('systemuser') || !present.has('organization')) return
  const tables = new Map(standardTables().map((t) => [t.name, t]))
  const additions: readonly [string, readonly ColumnDef[]][] = [
    ['systemuser', [managerColumn()]],
    ['organization', hierarchySettingsColumns()],
  ]
  for (const [name, wanted] of additions) {
    const table = tables.get(name) as TableDef
    const columns = await trx
      .selectFrom('_columns')
      .select(['name', 'ordinal'])
      .where('table_name', '=', name)
      .execute()
    let ordinal = Math.max(...columns.map((c) => Number(c['ordinal'])))
    for (const column of wanted) {
      if (columns.some((c) => c['name'] === column.name)) continue
      ordinal += 1
      await writeColumn(trx, table, column, ordinal)
    }
  }
  await trx
    .updateTable('organization')
    .set(DEFAULT_HIERARCHY_SETTINGS)
    .where('enablehierarchicalsecuritymodel', 'is', null)
    .execute()
  await installHierarchySchema(trx)
}

/**
 * Version 9: adds the impersonation system lookups `createdonbehalfby` and
 * `modifiedonbehalfby` (→ systemuser, restrict, nullable: null for every existing record) to
 * every table that lacks them, after its last column. Tables created afterwards get them from
 * systemColumns. Idempotent (each table's columns are checked first).
 */
async function migrateOnBehalfOfColumns(trx: EnvDb): Promise<void> {
  const columns = await trx
    .selectFrom('_columns')
    .select(['table_name', 'name', 'ordinal'])
    .execute()
  const tables = new Map<string, { names: Set<string>; ordinal: number }>()
  for (const c of columns) {
    const name = String(c['table_name'])
    const entry = tables.get(name) ?? { names: new Set<string>(), ordinal: 0 }
    entry.names.add(String(c['name']))
    entry.ordinal = Math.max(entry.ordinal, Number(c['ordinal']))
    tables.set(name, entry)
  }
  for (const [table, entry] of tables) {
    let ordinal = entry.ordinal
    for (const column of onBehalfOfColumns()) {
      if (entry.names.has(column.name)) continue
      ordinal += 1
      // Names come from the catalog (validated logical names) and onBehalfOfColumns.
      await trx.schema.alterTable(table).addColumn(column.name, 'text').execute()
      await trx
        .insertInto('_columns')
        .values({
          table_name: table,
          name: column.name,
          type: column.type,
          display_name: column.displayName,
          required: 0,
          system: 1,
          primary_role: null,
          options: JSON.stringify(column.options),
          ordinal,
        })
        .execute()
    }
  }
}

/**
 * Version 10 on a provisioned database: the teamtemplate table and the team columns of access
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
  // Its privileges in the read-only catalog (version 8), as a table created today gets them.
  await writePrivilegeRows(
    trx,
    [teamTemplateTable()],
    false,
    await requireEnvSetting(trx, 'system_user_id'),
    nowText(clock),
  )
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

/**
 * Version 7 on a provisioned database: the organization's `sharetopreviousowneronassign`
 * setting (boolean, off), as Dataverse's organization column, and the `privilege` table with a
 * row per privilege of every table. Idempotent.
 */
async function migrateSharingCatalog(trx: EnvDb, clock: Clock): Promise<void> {
  const organization = standardTables().find((t) => t.name === 'organization')
  const column = organization?.columns.find((c) => c.name === 'sharetopreviousowneronassign')
  if (organization === undefined || column === undefined) return
  const columns = await trx
    .selectFrom('_columns')
    .select(['name', 'ordinal'])
    .where('table_name', '=', 'organization')
    .execute()
  if (columns.length === 0) return
  if (!columns.some((c) => c['name'] === column.name)) {
    const ordinal = Math.max(...columns.map((c) => Number(c['ordinal']))) + 1
    await writeColumn(trx, organization, column, ordinal)
    await trx
      .updateTable('organization')
      .set({ [column.name]: 0 })
      .execute()
  }
  const tables = await trx.selectFrom('_tables').select(['name', 'ownership']).execute()
  const now = nowText(clock)
  if (!tables.some((t) => t['name'] === 'privilege')) {
    await writeTable(trx, privilegeTable(), now)
    tables.push({ name: 'privilege', ownership: 'organization' })
  }
  await writePrivilegeRows(
    trx,
    tables.map((t) => ({
      name: String(t['name']),
      ownership: t['ownership'] === 'user' ? ('user' as const) : ('organization' as const),
    })),
    true,
    await requireEnvSetting(trx, 'system_user_id'),
    now,
  )
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
