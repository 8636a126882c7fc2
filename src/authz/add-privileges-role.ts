import { actorOf, type Caller } from './caller.ts'
import {
  checkDepth,
  editableRole,
  knownPrivileges,
  privilegeOf,
  storedPrivileges,
} from './role-privilege-support.ts'
import { materializeRole, templatePrivileges } from './materialize-role.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * AddPrivilegesRole: gives a role privileges at a depth (a privilege it already has stored
 * takes the new depth), in one transaction; effective on the next request of everyone holding
 * the role. Needs prvWriterole; System Administrator and Support User are refused. On another
 * predefined role, rows add to its rule, unless a depth is below the rule's: then the rule is
 * materialised into rows first (materializeRole), so the given depth holds.
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
    const actor = actorOf(caller)
    // On a predefined role, a depth below what its rule gives can only hold once the rule is
    // stored rows: materialise it then (once); otherwise rows add to the rule.
    const template = await templatePrivileges(tx, role.templateId)
    const narrows = privileges.some(({ privilege, depth }) => {
      const given = template.get(privilegeOf(known, privilege).id)
      return given !== undefined && depth < given
    })
    if (narrows) await materializeRole(tx, role, actor)
    const stored = await storedPrivileges(tx, role.id)
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
