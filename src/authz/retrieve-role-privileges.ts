import type { Caller } from './caller.ts'
import { predefinedRoleByTemplate } from './predefined-roles.ts'
import { NONE, privilegeIdOf, type Depth } from './privileges.ts'
import { rightAccess } from './record-access.ts'
import { readRole } from './role-assignment-support.ts'
import { knownPrivileges, storedPrivileges } from './role-privilege-support.ts'
import type { SharingDeps } from './share-support.ts'

/** One privilege of a role as RetrieveRolePrivilegesRole answers it. */
export interface RolePrivilegeEntry {
  readonly privilegeId: string
  readonly privilegeName: string
  readonly depth: Depth
}

/**
 * RetrieveRolePrivilegesRole: the role's privileges — its template's rule evaluated on every
 * table of the environment, united with its stored rows (the wider depth wins) — sorted by
 * name. Needs prvReadrole.
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND
 */
export async function retrieveRolePrivileges(
  deps: SharingDeps,
  caller: Caller,
  roleId: string,
): Promise<RolePrivilegeEntry[]> {
  rightAccess(caller, await deps.records.getTable(deps.env, 'role'), 'Read')
  const role = await readRole(deps, roleId)
  const template = predefinedRoleByTemplate(role.templateId)
  const stored = await storedPrivileges(deps, role.id)
  const out: RolePrivilegeEntry[] = []
  for (const p of (await knownPrivileges(deps)).values()) {
    let depth: number = stored.get(p.id)?.depth ?? NONE
    if (template !== undefined) {
      const fromTemplate =
        p.table !== undefined && p.right !== undefined
          ? template.depth(p.table, p.right)
          : template.tasks.some((t) => privilegeIdOf(t) === p.id)
            ? 8
            : NONE
      depth = Math.max(depth, fromTemplate)
    }
    if (p.table?.ownership === 'organization' && depth !== NONE) depth = 8
    if (depth !== NONE)
      out.push({ privilegeId: p.id, privilegeName: p.name, depth: depth as Depth })
  }
  return out.sort((a, b) => a.privilegeName.localeCompare(b.privilegeName))
}
