import type { TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { predefinedRoleByTemplate } from './predefined-roles.ts'
import {
  GLOBAL,
  isDepth,
  privilegeIdOf,
  privilegeName,
  RIGHTS,
  TASK_PRIVILEGES,
  type Depth,
  type Right,
} from './privileges.ts'
import { rightAccess } from './record-access.ts'
import { readRole } from './role-assignment-support.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

/** A privilege Strongroom knows: a record right on a table, or a task privilege. */
export interface KnownPrivilege {
  readonly id: string
  readonly name: string
  readonly table?: TableDef
  readonly right?: Right
}

/** Every privilege of the environment by id: eight per table, plus the task privileges. */
export async function knownPrivileges(deps: SharingDeps): Promise<Map<string, KnownPrivilege>> {
  const known = new Map<string, KnownPrivilege>()
  for (const table of await deps.records.listTables(deps.env)) {
    for (const right of RIGHTS) {
      const name = privilegeName(right, table.name)
      known.set(privilegeIdOf(name), { id: privilegeIdOf(name), name, table, right })
    }
  }
  for (const name of TASK_PRIVILEGES)
    known.set(privilegeIdOf(name), { id: privilegeIdOf(name), name })
  return known
}

/** A privilege by id or by name (`prvReadaccount`). @throws AppError VALIDATION */
export function privilegeOf(known: Map<string, KnownPrivilege>, idOrName: string): KnownPrivilege {
  const found =
    known.get(idOrName.toLowerCase()) ?? [...known.values()].find((p) => p.name === idOrName)
  if (found === undefined) {
    throw new AppError('VALIDATION', `No privilege '${idOrName}' exists in the environment.`, {
      details: [{ path: 'PrivilegeId', message: 'unknown privilege' }],
    })
  }
  return found
}

/**
 * The depth a privilege may be stored at: 1, 2, 4 or 8; an organization-owned table's record
 * privileges and task privileges only Global (dataverse-spec §3).
 *
 * @throws AppError VALIDATION
 */
export function checkDepth(privilege: KnownPrivilege, depth: number): Depth {
  if (!isDepth(depth) || depth === 0) {
    throw new AppError('VALIDATION', 'The depth must be Basic, Local, Deep or Global.', {
      details: [{ path: 'Depth', message: 'expected 1, 2, 4 or 8' }],
    })
  }
  const orgOnly = privilege.table === undefined || privilege.table.ownership === 'organization'
  if (orgOnly && depth !== GLOBAL) {
    throw new AppError(
      'VALIDATION',
      `${privilege.name} has only the Global (Organization) depth.`,
      { details: [{ path: 'Depth', message: 'expected Global' }] },
    )
  }
  return depth
}

/**
 * The role to edit: needs prvWriterole; a role whose template is not editable (System
 * Administrator, Support User) is refused — its privileges are fixed (docs/authz.md §3).
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND, VALIDATION
 */
export async function editableRole(deps: SharingDeps, caller: Caller, roleId: string) {
  rightAccess(caller, await deps.records.getTable(deps.env, 'role'), 'Write')
  const role = await readRole(deps, roleId)
  if (predefinedRoleByTemplate(role.templateId)?.editable === false) {
    throw new AppError('VALIDATION', `The privileges of '${role.name}' can't be changed.`, {
      details: [{ path: 'roleid', message: 'a role with fixed privileges' }],
    })
  }
  return role
}

/** The stored roleprivileges rows of a role: privilege id → { row id, depth }. */
export async function storedPrivileges(
  deps: SharingDeps,
  roleId: string,
): Promise<Map<string, { readonly rowId: string; readonly depth: number }>> {
  const key = (await deps.records.getTable(deps.env, 'roleprivileges')).primaryIdColumn
  const result = await deps.records.queryRecords(
    deps.env,
    'roleprivileges',
    { count: false, select: [key, 'roleid', 'privilegeid', 'privilegedepthmask'] },
    { limit: SECURITY_ROWS_LIMIT },
  )
  return new Map(
    result.records
      .filter((r) => r['roleid'] === roleId)
      .map((r) => [
        String(r['privilegeid']),
        { rowId: String(r[key]), depth: Number(r['privilegedepthmask']) },
      ]),
  )
}
