import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { predefinedRoleByTemplate } from './predefined-roles.ts'
import { NONE, privilegeIdOf, type Depth } from './privileges.ts'
import { rightAccess } from './record-access.ts'
import type { RolePrivilegeEntry } from './retrieve-role-privileges.ts'
import { knownPrivileges } from './role-privilege-support.ts'
import { securityRowsOf } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'
import { grantDepth } from './table-privilege.ts'

/**
 * RetrieveUserPrivileges: every privilege a user holds through all its roles — direct, and
 * through its teams (member's privilege inheritance caps applied, §4) — at the widest depth,
 * sorted by name. Needs prvReadrole.
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (user)
 */
export async function retrieveUserPrivileges(
  deps: SharingDeps,
  caller: Caller,
  systemUserId: string,
): Promise<RolePrivilegeEntry[]> {
  rightAccess(caller, await deps.records.getTable(deps.env, 'role'), 'Read')
  const user = await deps.records.retrieveRecord(deps.env, 'systemuser', systemUserId, {
    select: ['businessunitid'],
  })
  const businessUnitId = user['businessunitid']
  if (typeof businessUnitId !== 'string') {
    throw new AppError('RECORD_NOT_FOUND', 'No systemuser has that id.')
  }
  const { security } = await loadSecurityContext(securityRowsOf(deps.records, deps.env), {
    systemUserId: String(user['systemuserid']),
    businessUnitId,
  })
  const out: RolePrivilegeEntry[] = []
  for (const p of (await knownPrivileges(deps)).values()) {
    let depth: number = NONE
    for (const grant of security.grants) {
      if (p.table !== undefined && p.right !== undefined) {
        depth = Math.max(depth, grantDepth(grant, p.table, p.right, p.id))
      } else {
        const template = predefinedRoleByTemplate(grant.templateId)
        const held =
          template?.tasks.some((t) => privilegeIdOf(t) === p.id) === true ||
          (grant.privileges.get(p.id) ?? NONE) !== NONE
        if (held) depth = 8
      }
    }
    if (depth !== NONE)
      out.push({ privilegeId: p.id, privilegeName: p.name, depth: depth as Depth })
  }
  return out.sort((a, b) => a.privilegeName.localeCompare(b.privilegeName))
}
