import { installColumnSecuritySchema } from '../authz/install-column-security-schema.ts'
import { installHierarchySchema } from '../authz/install-hierarchy-schema.ts'
import { installSecuritySchema } from '../authz/install-security-schema.ts'
import { PREDEFINED_ROLES } from '../authz/predefined-roles.ts'
import type { Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import { asEnvironmentId, type EnvironmentId } from '../shared/ids.ts'
import type { Random } from '../shared/random.ts'
import type { EnvDb } from '../storage/index.ts'
import { insertRow } from './create-record.ts'
import { encodeValue } from './encode-value.ts'
import { nowText } from './internal/context.ts'
import type { StorageRow } from './internal/encode-record.ts'
import { readEnvSetting, type EnvSettingKey } from './internal/env-settings.ts'
import { nextVersion } from './internal/next-version.ts'
import { writePrivilegeRows } from './internal/privilege-catalog.ts'
import { writeTable } from './internal/table-ddl.ts'
import type { TableDef } from './model.ts'
import { installTeamIndexes } from './install-team-indexes.ts'
import { standardTables } from './standard-tables.ts'

/** Inputs of provisionEnvironment. */
export interface ProvisionEnvironmentOptions {
  /** The environment's id (a GUID; an EnvironmentId or its string form). */
  readonly environmentId: EnvironmentId | string
  /** Names the organization row, the root business unit and its default team (1-160 chars). */
  readonly organizationName: string
  readonly clock: Clock
  readonly random: Random
}

/** The ids of the seed records. */
export interface ProvisionedIds {
  readonly organizationId: string
  readonly businessUnitId: string
  readonly systemUserId: string
  readonly defaultTeamId: string
  readonly systemAdministratorRoleId: string
  readonly basicUserRoleId: string
}

/**
 * Provisions a new environment database (after migrateEnvironmentDatabase), in one
 * transaction: `_env` settings, the standard tables (see standardTables) and the seed
 * records — the organization, the root business unit named after it, the SYSTEM user, the
 * business unit's default (owner) team, and the predefined security roles (System
 * Administrator, System Customizer, Basic User, Environment Maker, Delegate, Support User); and
 * the internal security tables (installSecuritySchema).
 * Seed records are created by SYSTEM, with versionnumbers from the environment counter.
 *
 * @throws AppError ALREADY_EXISTS when the database is already provisioned, VALIDATION for a
 *   bad organization name
 */
export async function provisionEnvironment(
  db: EnvDb,
  options: ProvisionEnvironmentOptions,
): Promise<ProvisionedIds> {
  const orgName =
    typeof options.organizationName === 'string' ? options.organizationName.trim() : ''
  if (orgName === '' || orgName.length > 160) {
    throw new AppError('VALIDATION', 'The organization name must be 1 to 160 characters.', {
      details: [{ path: 'organizationName', message: 'expected 1 to 160 characters' }],
    })
  }
  const environmentId = asEnvironmentId(options.environmentId)
  const uuid = (): string => options.random.uuid().toLowerCase()
  const ids: ProvisionedIds = {
    organizationId: uuid(),
    businessUnitId: uuid(),
    systemUserId: uuid(),
    defaultTeamId: uuid(),
    systemAdministratorRoleId: uuid(),
    basicUserRoleId: uuid(),
  }
  const now = nowText(options.clock)
  await db.transaction().execute(async (trx) => {
    if ((await readEnvSetting(trx, 'environment_id')) !== undefined) {
      throw new AppError('ALREADY_EXISTS', 'The environment database is already provisioned.')
    }
    const settings: [EnvSettingKey, string][] = [
      ['environment_id', environmentId],
      ['organization_name', orgName],
      ['organization_id', ids.organizationId],
      ['root_business_unit_id', ids.businessUnitId],
      ['system_user_id', ids.systemUserId],
      ['default_team_id', ids.defaultTeamId],
      ['system_administrator_role_id', ids.systemAdministratorRoleId],
      ['basic_user_role_id', ids.basicUserRoleId],
      ['provisioned_on', now],
    ]
    await trx
      .insertInto('_env')
      .values(settings.map(([key, value]) => ({ key, value })))
      .execute()
    const tables = new Map(standardTables().map((t) => [t.name, t]))
    for (const table of tables.values()) await writeTable(trx, table, now)
    await installSecuritySchema(trx)
    await installColumnSecuritySchema(trx)
    await installHierarchySchema(trx)
    await installTeamIndexes(trx)
    const seed = async (name: string, id: string, values: Record<string, unknown>) => {
      const table = tables.get(name) as TableDef
      await insertRow(trx, table, await seedRow(trx, table, id, values, ids.systemUserId, now))
    }
    const bu = ids.businessUnitId
    await seed('organization', ids.organizationId, {
      name: orgName,
      sharetopreviousowneronassign: false,
      enablehierarchicalsecuritymodel: false,
      maxdepthforhierarchicalsecuritymodel: 3,
      hierarchylevelforhierarchyfeature: 1,
      managersmustbeinsameorparentbusinessunitasreports: true,
    })
    await seed('businessunit', bu, { name: orgName, parentbusinessunitid: null })
    await seed('systemuser', ids.systemUserId, {
      fullname: 'SYSTEM',
      businessunitid: bu,
      isdisabled: false,
      accessmode: 4,
    })
    await seed('team', ids.defaultTeamId, {
      name: orgName,
      teamtype: 0,
      businessunitid: bu,
      isdefault: true,
    })
    // The predefined roles (docs/authz.md §3), their privileges given by roletemplateid.
    for (const role of PREDEFINED_ROLES) {
      const id =
        role.name === 'System Administrator'
          ? ids.systemAdministratorRoleId
          : role.name === 'Basic User'
            ? ids.basicUserRoleId
            : uuid()
      await seed('role', id, {
        name: role.name,
        businessunitid: bu,
        roletemplateid: role.templateId,
        isinherited: 0,
      })
    }
    await writePrivilegeRows(trx, [...tables.values()], true, ids.systemUserId, now)
  })
  return ids
}

/** A seed record's stored row: its values (encoded) plus the system columns, by SYSTEM. */
export async function seedRow(
  trx: EnvDb,
  table: TableDef,
  id: string,
  values: Record<string, unknown>,
  systemUserId: string,
  now: string,
): Promise<StorageRow> {
  const row: StorageRow = new Map([[table.primaryIdColumn, id]])
  for (const c of table.columns) {
    if (c.name in values) row.set(c.name, encodeValue(c, values[c.name]))
  }
  row.set('createdon', now)
  row.set('modifiedon', now)
  row.set('createdby', systemUserId)
  row.set('modifiedby', systemUserId)
  row.set('statecode', 0n)
  row.set('statuscode', 1n)
  row.set('versionnumber', await nextVersion(trx))
  return row
}
