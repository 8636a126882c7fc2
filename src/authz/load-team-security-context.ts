import { grantsOf, type SecurityRows } from './load-security-context.ts'
import type { SecurityContext } from './security-context.ts'

/**
 * The security context of a team as a principal (RetrievePrincipalAccess for teams): the
 * team's own roles, anchored at the team (Basic = owned by the team; Local and Deep relative to
 * the team's business unit), and the shares to the team. Not its members' roles, and not
 * shares to the organization (those reach users). An access team (teamtype 1) holds no roles:
 * shares only. Undefined when no team has the id.
 */
export async function loadTeamSecurityContext(
  rows: SecurityRows,
  teamId: string,
): Promise<SecurityContext | undefined> {
  const [team] = await rows.select('team', ['teamid', 'businessunitid', 'teamtype'], {
    teamid: [teamId],
  })
  if (team === undefined) return undefined
  const id = String(team['teamid'])
  const assignments =
    team['teamtype'] === 1
      ? []
      : (await rows.select('teamroles', ['roleid'], { teamid: [id] })).map((r) => ({
          roleId: String(r['roleid']),
          anchor: { kind: 'user' as const },
        }))
  const { grants } = await grantsOf(rows, assignments)
  return { userId: id, businessUnitId: String(team['businessunitid']), teams: [], grants }
}
