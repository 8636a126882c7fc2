import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import type { Right } from './privileges.ts'
import { rightAccess } from './record-access.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'
import { OFFICE_GROUP_TEAM, SECURITY_GROUP_TEAM } from './team-types.ts'

/** @throws AppError FORBIDDEN unless the caller holds prv<right>team at some depth */
export async function requireTeamPrivilege(
  deps: SharingDeps,
  caller: Caller,
  right: Right,
): Promise<void> {
  rightAccess(caller, await deps.records.getTable(deps.env, 'team'), right)
}

/**
 * The team, whose members must be stored: not a business unit's default team (whose members
 * are the unit's users, derived: docs/authz.md §2.2) nor an Entra group team (members from the
 * token, §14).
 *
 * @throws AppError RECORD_NOT_FOUND, VALIDATION (default or group team)
 */
export async function memberTeam(deps: SharingDeps, teamId: string): Promise<string> {
  const team = await deps.records.retrieveRecord(deps.env, 'team', teamId, {
    select: ['isdefault', 'teamtype'],
  })
  if (team['isdefault'] === true) {
    throw new AppError(
      'VALIDATION',
      "A business unit's default team has the unit's users as members; they can't be changed.",
      { details: [{ path: 'teamid', message: 'a default team' }] },
    )
  }
  const type = Number(team['teamtype'])
  if (type === SECURITY_GROUP_TEAM || type === OFFICE_GROUP_TEAM) {
    throw new AppError(
      'VALIDATION',
      "An Entra group team's members come from the caller's token (groups claim); they can't be changed here.",
      { details: [{ path: 'teamid', message: 'a group team' }] },
    )
  }
  return String(team['teamid'])
}

/** The stored memberships of a team: user id → teammembership id. */
export async function membersOf(deps: SharingDeps, teamId: string): Promise<Map<string, string>> {
  const key = (await deps.records.getTable(deps.env, 'teammembership')).primaryIdColumn
  const result = await deps.records.queryRecords(
    deps.env,
    'teammembership',
    { count: false, select: [key, 'systemuserid', 'teamid'] },
    { limit: SECURITY_ROWS_LIMIT },
  )
  return new Map(
    result.records
      .filter((r) => r['teamid'] === teamId)
      .map((r) => [String(r['systemuserid']), String(r[key])]),
  )
}
