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
 * ReplacePrivilegesRole: the role's stored privileges become exactly `privileges`, in one
 * transaction; effective on the next request. On an editable predefined role (not System
 * Administrator, not Support User) its template rule is materialised first, so the role ends up
 * a custom role holding exactly `privileges` (docs/authz.md §3). Needs prvWriterole.
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (role), VALIDATION (privilege, depth, role)
 */
export async function replacePrivilegesRole(
  deps: SharingDeps,
  caller: Caller,
  roleId: string,
  privileges: readonly { readonly privilege: string; readonly depth: number }[],
): Promise<void> {
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const role = await editableRole(tx, caller, roleId)
    // A predefined role becomes a custom role with exactly the given rows: materialising its
    // rule first and then replacing every row comes to the same (docs/authz.md §3).
    if (role.templateId !== undefined) {
      await records.updateRecord(
        deps.env,
        'role',
        role.id,
        { roletemplateid: null },
        actorOf(caller),
      )
    }
    const known = await knownPrivileges(tx)
    const wanted = new Map<string, number>()
    for (const { privilege, depth } of privileges) {
      const p = privilegeOf(known, privilege)
      wanted.set(p.id, checkDepth(p, depth))
    }
    const actor = actorOf(caller)
    for (const [privilegeId, row] of await storedPrivileges(tx, role.id)) {
      const depth = wanted.get(privilegeId)
      if (depth === undefined) {
        await records.deleteRecord(deps.env, 'roleprivileges', row.rowId, actor)
      } else if (depth !== row.depth) {
        await records.updateRecord(
          deps.env,
          'roleprivileges',
          row.rowId,
          { privilegedepthmask: depth },
          actor,
        )
      }
      wanted.delete(privilegeId)
    }
    for (const [privilegeId, depth] of wanted) {
      await records.createRecord(
        deps.env,
        'roleprivileges',
        { roleid: role.id, privilegeid: privilegeId, privilegedepthmask: depth },
        actor,
      )
    }
  })
}
