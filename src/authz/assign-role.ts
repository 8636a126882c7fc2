import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { predefinedRoleByTemplate } from './predefined-roles.ts'
import {
  ASSOCIATION,
  assignments,
  readRole,
  requireAssignRole,
  type RolePrincipal,
} from './role-assignment-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * Assigns a security role to a user or a team (Dataverse `systemuserroles_association` /
 * `teamroles_association`), effective on the principal's next request (the security version).
 * The caller needs prvAssignRole; a service-only role (Support User) is refused. Assigning a
 * role the principal already holds changes nothing.
 *
 * @returns whether an assignment was added
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (role, principal), VALIDATION (Support User, ids)
 */
export async function assignRole(
  deps: SharingDeps,
  caller: Caller,
  principal: RolePrincipal,
  roleId: string,
): Promise<boolean> {
  requireAssignRole(caller)
  const role = await readRole(deps, roleId)
  if (predefinedRoleByTemplate(role.templateId)?.assignable === false) {
    throw new AppError(
      'VALIDATION',
      `The role '${role.name}' is service-only and can't be assigned.`,
      { details: [{ path: 'roleid', message: 'a service-only role' }] },
    )
  }
  await deps.records.retrieveRecord(deps.env, principal.kind, principal.id, {
    select: [`${principal.kind}id`],
  })
  const held = (await assignments(deps, principal.kind)).some(
    (a) => a.principalId === principal.id.toLowerCase() && a.roleId === role.id,
  )
  if (held) return false
  const { table, column } = ASSOCIATION[principal.kind]
  await deps.records.createRecord(
    deps.env,
    table,
    { [column]: principal.id, roleid: role.id },
    actorOf(caller),
  )
  return true
}
