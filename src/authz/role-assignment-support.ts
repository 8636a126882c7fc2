import type { Caller } from './caller.ts'
import { requireTaskPrivilege } from './has-task-privilege.ts'
import { predefinedRoleByTemplate, SYSTEM_ADMINISTRATOR } from './predefined-roles.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

/** Whom a role is assigned to: a user (systemuserroles) or a team (teamroles). */
export interface RolePrincipal {
  readonly kind: 'systemuser' | 'team'
  readonly id: string
}

/** The association table of a principal kind and its principal column. */
export const ASSOCIATION = {
  systemuser: { table: 'systemuserroles', column: 'systemuserid' },
  team: { table: 'teamroles', column: 'teamid' },
} as const

/** One stored role assignment. */
export interface Assignment {
  readonly id: string
  readonly principalId: string
  readonly roleId: string
}

/** @throws AppError FORBIDDEN unless the caller holds prvAssignRole (dataverse-spec §3). */
export function requireAssignRole(caller: Caller): void {
  requireTaskPrivilege(caller, 'prvAssignRole')
}

/** The role record (name, template). @throws AppError RECORD_NOT_FOUND, VALIDATION */
export async function readRole(
  deps: SharingDeps,
  roleId: string,
): Promise<{ readonly id: string; readonly name: string; readonly templateId?: string }> {
  const row = await deps.records.retrieveRecord(deps.env, 'role', roleId, {
    select: ['name', 'roletemplateid'],
  })
  const template = row['roletemplateid']
  return {
    id: typeof row['roleid'] === 'string' ? row['roleid'] : roleId.toLowerCase(),
    name: String(row['name']),
    ...(typeof template === 'string' ? { templateId: template } : {}),
  }
}

/** Whether the role is System Administrator (by template). */
export const isSystemAdministrator = (templateId: string | undefined): boolean =>
  predefinedRoleByTemplate(templateId)?.name === SYSTEM_ADMINISTRATOR

/** Every stored assignment of one principal kind (security tables are small). */
export async function assignments(
  deps: SharingDeps,
  kind: RolePrincipal['kind'],
): Promise<Assignment[]> {
  const { table, column } = ASSOCIATION[kind]
  // Intersect tables' keys are Dataverse's (systemuserroleid, teamroleid), not <table>id.
  const key = (await deps.records.getTable(deps.env, table)).primaryIdColumn
  const result = await deps.records.queryRecords(
    deps.env,
    table,
    { count: false, select: [key, column, 'roleid'] },
    { limit: SECURITY_ROWS_LIMIT },
  )
  return result.records.map((r) => ({
    id: String(r[key]),
    principalId: String(r[column]),
    roleId: String(r['roleid']),
  }))
}

/** Rows of `table` (system read, no scope), for the lockout check. */
export async function rows(
  deps: SharingDeps,
  table: string,
  select: readonly string[],
): Promise<readonly Readonly<Record<string, unknown>>[]> {
  const result = await deps.records.queryRecords(
    deps.env,
    table,
    { count: false, select },
    { limit: SECURITY_ROWS_LIMIT },
  )
  return result.records
}
