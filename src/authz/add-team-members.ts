import { actorOf, type Caller } from './caller.ts'
import type { SharingDeps } from './share-support.ts'
import { memberTeam, membersOf, requireTeamPrivilege } from './team-support.ts'

/**
 * AddMembersTeam: adds users to an owner team in one transaction (members already in it are
 * skipped); effective on their next request. Needs prvWriteteam. A default team's members are
 * derived and can't be changed.
 *
 * @returns how many memberships were added
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (team), VALIDATION (default team),
 *   RECORD_INVALID (unknown user)
 */
export async function addTeamMembers(
  deps: SharingDeps,
  caller: Caller,
  teamId: string,
  userIds: readonly string[],
): Promise<number> {
  await requireTeamPrivilege(deps, caller, 'Write')
  return deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const team = await memberTeam(tx, teamId)
    const members = await membersOf(tx, team)
    let added = 0
    for (const user of new Set(userIds.map((u) => u.toLowerCase()))) {
      if (members.has(user)) continue
      await records.createRecord(
        deps.env,
        'teammembership',
        { teamid: team, systemuserid: user },
        actorOf(caller),
      )
      added += 1
    }
    return added
  })
}
