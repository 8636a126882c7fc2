import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import {
  ASSOCIATION,
  assignments,
  isSystemAdministrator,
  readRole,
  requireAssignRole,
  rows,
  type Assignment,
  type RolePrincipal,
} from './role-assignment-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * Removes a security role from a user or a team, effective on the next request. The caller
 * needs prvAssignRole. Removing the last System Administrator assignment that reaches an
 * enabled user is refused (Dataverse allows it and locks the environment out; docs/authz.md).
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (role, or not assigned), IN_USE (last System
 *   Administrator)
 */
export async function unassignRole(
  deps: SharingDeps,
  caller: Caller,
  principal: RolePrincipal,
  roleId: string,
): Promise<void> {
  requireAssignRole(caller)
  // One transaction (BEGIN IMMEDIATE): the lockout check and the delete can't interleave with
  // another removal.
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const role = await readRole(tx, roleId)
    const all = await assignments(tx, principal.kind)
    const held = all.find(
      (a) => a.principalId === principal.id.toLowerCase() && a.roleId === role.id,
    )
    if (held === undefined) {
      throw new AppError('RECORD_NOT_FOUND', `The ${principal.kind} does not hold that role.`)
    }
    if (isSystemAdministrator(role.templateId)) await keepOneAdministrator(tx, principal, held)
    await records.deleteRecord(deps.env, ASSOCIATION[principal.kind].table, held.id, {
      ...actorOf(caller),
    })
  })
}

/**
 * @throws AppError IN_USE when no enabled user would hold System Administrator (directly, or
 *   through a team with an explicit member) once `removed` is gone
 */
async function keepOneAdministrator(
  deps: SharingDeps,
  principal: RolePrincipal,
  removed: Assignment,
): Promise<void> {
  const admins = new Set(
    (await rows(deps, 'role', ['roleid', 'roletemplateid']))
      .filter((r) => isSystemAdministrator(stringOf(r['roletemplateid'])))
      .map((r) => String(r['roleid'])),
  )
  const enabled = new Set(
    (await rows(deps, 'systemuser', ['systemuserid', 'isdisabled']))
      .filter((r) => r['isdisabled'] !== true)
      .map((r) => String(r['systemuserid'])),
  )
  const others = (list: Assignment[]) =>
    list.filter((a) => admins.has(a.roleId) && a.id !== removed.id)
  const direct = others(await assignments(deps, 'systemuser')).filter((a) =>
    enabled.has(a.principalId),
  )
  if (direct.length > 0) return
  const teams = new Set(others(await assignments(deps, 'team')).map((a) => a.principalId))
  const members = await rows(deps, 'teammembership', ['teamid', 'systemuserid'])
  if (members.some((m) => teams.has(String(m['teamid'])) && enabled.has(String(m['systemuserid']))))
    return
  throw new AppError(
    'IN_USE',
    `The ${principal.kind}'s System Administrator role is the last one that reaches an enabled user; assign System Administrator to another user first.`,
  )
}

const stringOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
