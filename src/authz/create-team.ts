import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'
import { requireTeamPrivilege } from './team-support.ts'
import type { ACCESS_TEAM, OFFICE_GROUP_TEAM, SECURITY_GROUP_TEAM } from './team-types.ts'
import { OWNER_TEAM } from './team-types.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** What kind of team to create (team.teamtype), and for group teams the Entra group. */
export type TeamKind =
  | { readonly type: typeof OWNER_TEAM | typeof ACCESS_TEAM }
  | {
      readonly type: typeof SECURITY_GROUP_TEAM | typeof OFFICE_GROUP_TEAM
      /** The Entra group's object id (team.azureactivedirectoryobjectid). */
      readonly groupId: string
      /** team.membershiptype: 0 Members and guests (default), 1 Members, 2 Owners, 3 Guests. */
      readonly membershipType?: number
    }

/**
 * Creates a team in a business unit (dataverse-spec §3 Teams): an owner team (teamtype 0, the
 * default), a user-created access team (1: holds no roles, owns nothing, records are shared
 * with it), or an Entra group team (2 security group, 3 Microsoft 365 group) bound to a group
 * object id, whose members are the callers whose token lists that group (docs/authz.md §16).
 * One team per group. Needs prvCreateteam.
 *
 * @returns the team's id
 * @throws AppError FORBIDDEN, RECORD_INVALID (name, unknown business unit), VALIDATION (group
 *   id, membership type), ALREADY_EXISTS (a team for the group exists)
 */
export async function createTeam(
  deps: SharingDeps,
  caller: Caller,
  input: { readonly name: string; readonly businessUnitId: string; readonly kind?: TeamKind },
): Promise<string> {
  await requireTeamPrivilege(deps, caller, 'Create')
  if (input.name.trim() === '') {
    throw new AppError('RECORD_INVALID', 'A team needs a name.', {
      details: [{ path: 'name', message: 'required' }],
    })
  }
  const kind = input.kind ?? { type: OWNER_TEAM }
  const base = { name: input.name, businessunitid: input.businessUnitId, isdefault: false }
  const actor = actorOf(caller)
  if (!('groupId' in kind)) {
    return deps.records.createRecord(deps.env, 'team', { ...base, teamtype: kind.type }, actor)
  }
  const groupId = kind.groupId.toLowerCase()
  if (!UUID.test(groupId)) {
    throw new AppError('VALIDATION', 'An Entra group id is a GUID.', {
      details: [{ path: 'azureactivedirectoryobjectid', message: 'expected a GUID' }],
    })
  }
  const membershipType = kind.membershipType ?? 0
  if (![0, 1, 2, 3].includes(membershipType)) {
    throw new AppError('VALIDATION', 'The membership type must be 0, 1, 2 or 3.', {
      details: [{ path: 'membershiptype', message: 'expected 0-3' }],
    })
  }
  return deps.records.transaction(deps.env, async (records) => {
    const existing = await records.queryRecords(
      deps.env,
      'team',
      { count: false, select: ['teamid'] },
      {
        where: (eb) => eb(eb.ref('azureactivedirectoryobjectid'), '=', groupId),
        limit: SECURITY_ROWS_LIMIT,
      },
    )
    if (existing.records.length > 0) {
      throw new AppError('ALREADY_EXISTS', 'A team for that Entra group exists already.')
    }
    return records.createRecord(
      deps.env,
      'team',
      {
        ...base,
        teamtype: kind.type,
        azureactivedirectoryobjectid: groupId,
        membershiptype: membershipType,
      },
      actor,
    )
  })
}
