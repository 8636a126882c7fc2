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
import { ACCESS_TEAM } from './team-types.ts'

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
  const found = await deps.records.retrieveRecord(deps.env, principal.kind, principal.id, {
    select: principal.kind === 'team' ? ['teamid', 'teamtype'] : ['systemuserid'],
  })
  // dataverse-spec §3 Teams: an access team has no roles (docs/authz.md §16).
  if (principal.kind === 'team' && found['teamtype'] === ACCESS_TEAM) {
    throw new AppError('VALIDATION', "An access team can't hold security roles.", {
      details: [{ path: 'teamid', message: 'an access team' }],
    })
  }
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
