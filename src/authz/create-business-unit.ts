import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { requireUnitPrivilege, unitOf, units } from './business-unit-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * Creates a business unit under `parentId` and, in the same transaction, its default team (an
 * owner team named after it, `isdefault`), whose members are implicitly the unit's users
 * (docs/authz.md §2.2). Needs prvCreatebusinessunit. Only the root has no parent.
 *
 * @returns the new unit's id and its default team's id
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (parent), RECORD_INVALID (name)
 */
export async function createBusinessUnit(
  deps: SharingDeps,
  caller: Caller,
  input: { readonly name: string; readonly parentId: string },
): Promise<{ readonly id: string; readonly defaultTeamId: string }> {
  await requireUnitPrivilege(deps, caller, 'Create')
  if (input.name.trim() === '') {
    throw new AppError('RECORD_INVALID', 'A business unit needs a name.', {
      details: [{ path: 'name', message: 'required' }],
    })
  }
  return deps.records.transaction(deps.env, async (records) => {
    const parent = unitOf(await units({ records, env: deps.env }), input.parentId)
    const actor = actorOf(caller)
    const id = await records.createRecord(
      deps.env,
      'businessunit',
      { name: input.name, parentbusinessunitid: parent.id },
      actor,
    )
    const defaultTeamId = await records.createRecord(
      deps.env,
      'team',
      { name: input.name, teamtype: 0, businessunitid: id, isdefault: true },
      actor,
    )
    return { id, defaultTeamId }
  })
}
