import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import type { SharingDeps } from './share-support.ts'
import { requireTeamPrivilege } from './team-support.ts'

/**
 * Creates an owner team (teamtype 0) in a business unit. Needs prvCreateteam.
 *
 * @returns the team's id
 * @throws AppError FORBIDDEN, RECORD_INVALID (name, unknown business unit)
 */
export async function createTeam(
  deps: SharingDeps,
  caller: Caller,
  input: { readonly name: string; readonly businessUnitId: string },
): Promise<string> {
  await requireTeamPrivilege(deps, caller, 'Create')
  if (input.name.trim() === '') {
    throw new AppError('RECORD_INVALID', 'A team needs a name.', {
      details: [{ path: 'name', message: 'required' }],
    })
  }
  return deps.records.createRecord(
    deps.env,
    'team',
    { name: input.name, teamtype: 0, businessunitid: input.businessUnitId, isdefault: false },
    actorOf(caller),
  )
}
