import { actorOf, type Caller } from './caller.ts'
import type { SharingDeps } from './share-support.ts'
import { memberTeam, membersOf, requireTeamPrivilege } from './team-support.ts'

/**
 * RemoveMembersTeam: removes users from an owner team in one transaction (non-members are
 * skipped); effective on their next request. Needs prvWriteteam.
 *
 * @returns how many memberships were removed
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (team), VALIDATION (default team)
 */
export async function removeTeamMembers(
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
    let removed = 0
    for (const user of new Set(userIds.map((u) => u.toLowerCase()))) {
      const membership = members.get(user)
      if (membership === undefined) continue
      await records.deleteRecord(deps.env, 'teammembership', membership, {
        ...actorOf(caller),
      })
      removed += 1
    }
    return removed
  })
}
