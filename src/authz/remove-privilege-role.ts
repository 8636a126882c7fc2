import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import {
  editableRole,
  knownPrivileges,
  privilegeOf,
  storedPrivileges,
} from './role-privilege-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * RemovePrivilegeRole: removes a stored privilege from a role; effective on the next request.
 * A predefined role's template privileges are not stored and stay ("add-only", §3).
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (role; the role does not hold it), VALIDATION
 */
export async function removePrivilegeRole(
  deps: SharingDeps,
  caller: Caller,
  roleId: string,
  privilege: string,
): Promise<void> {
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const role = await editableRole(tx, caller, roleId)
    const p = privilegeOf(await knownPrivileges(tx), privilege)
    const row = (await storedPrivileges(tx, role.id)).get(p.id)
    if (row === undefined) {
      throw new AppError('RECORD_NOT_FOUND', `The role does not hold ${p.name} (stored).`)
    }
    await records.deleteRecord(deps.env, 'roleprivileges', row.rowId, {
      ...actorOf(caller),
    })
  })
}
