import { actorOf, type Caller } from './caller.ts'
import {
  checkDepth,
  editableRole,
  knownPrivileges,
  privilegeOf,
  storedPrivileges,
} from './role-privilege-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * AddPrivilegesRole: gives a role privileges at a depth (a privilege it already has stored
 * takes the new depth), in one transaction; effective on the next request of everyone holding
 * the role. Needs prvWriterole; System Administrator and Support User are refused.
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (role), VALIDATION (privilege, depth, role)
 */
export async function addPrivilegesRole(
  deps: SharingDeps,
  caller: Caller,
  roleId: string,
  privileges: readonly { readonly privilege: string; readonly depth: number }[],
): Promise<void> {
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const role = await editableRole(tx, caller, roleId)
    const known = await knownPrivileges(tx)
    const stored = await storedPrivileges(tx, role.id)
    const actor = actorOf(caller)
    for (const { privilege, depth } of privileges) {
      const p = privilegeOf(known, privilege)
      const mask = checkDepth(p, depth)
      const row = stored.get(p.id)
      if (row === undefined) {
        const id = await records.createRecord(
          deps.env,
          'roleprivileges',
          { roleid: role.id, privilegeid: p.id, privilegedepthmask: mask },
          actor,
        )
        stored.set(p.id, { rowId: id, depth: mask })
      } else if (row.depth !== mask) {
        await records.updateRecord(
          deps.env,
          'roleprivileges',
          row.rowId,
          { privilegedepthmask: mask },
          actor,
        )
      }
    }
  })
}
