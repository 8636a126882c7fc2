import { predefinedRoleByTemplate } from './predefined-roles.ts'
import { GLOBAL, NONE, privilegeIdOf } from './privileges.ts'
import { knownPrivileges, storedPrivileges } from './role-privilege-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * The depth a predefined role's template rule gives each privilege of the environment today,
 * by privilege id (none for a custom role).
 */
export async function templatePrivileges(
  deps: SharingDeps,
  templateId: string | undefined,
): Promise<Map<string, number>> {
  const template = predefinedRoleByTemplate(templateId)
  const out = new Map<string, number>()
  if (template === undefined) return out
  for (const p of (await knownPrivileges(deps)).values()) {
    let depth: number =
      p.table !== undefined && p.right !== undefined
        ? template.depth(p.table, p.right)
        : template.tasks.some((t) => privilegeIdOf(t) === p.id)
          ? GLOBAL
          : NONE
    if (p.table?.ownership === 'organization' && depth !== NONE) depth = GLOBAL
    if (depth !== NONE) out.set(p.id, depth)
  }
  return out
}

/**
 * Turns a predefined role into stored rows, once (docs/authz.md §3): its template rule,
 * evaluated on every table of the environment, is written as roleprivileges rows (a stored row
 * keeps the wider depth) and `roletemplateid` is cleared, so from now on the role is exactly
 * its rows — like a Dataverse role after an edit. Tables created later are not covered by it
 * any more. Run inside the caller's unit of work; the security version moves with the rows.
 */
export async function materializeRole(
  deps: SharingDeps,
  role: { readonly id: string; readonly templateId?: string },
  actor: { readonly actorId: string; readonly callingUserId?: string },
): Promise<void> {
  if (role.templateId === undefined) return
  const stored = await storedPrivileges(deps, role.id)
  for (const [privilegeId, depth] of await templatePrivileges(deps, role.templateId)) {
    const row = stored.get(privilegeId)
    if (row === undefined) {
      await deps.records.createRecord(
        deps.env,
        'roleprivileges',
        { roleid: role.id, privilegeid: privilegeId, privilegedepthmask: depth },
        actor,
      )
    } else if (row.depth < depth) {
      await deps.records.updateRecord(
        deps.env,
        'roleprivileges',
        row.rowId,
        { privilegedepthmask: depth },
        actor,
      )
    }
  }
  await deps.records.updateRecord(deps.env, 'role', role.id, { roletemplateid: null }, actor)
}
