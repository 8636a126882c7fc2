import { predefinedRoleByTemplate } from './predefined-roles.ts'
import { NONE, privilegeIdOf, type TaskPrivilege } from './privileges.ts'
import type { SecurityContext } from './security-context.ts'

/**
 * Whether the caller holds a task (miscellaneous) privilege, e.g. prvActOnBehalfOfAnotherUser
 * for impersonation (dataverse-spec §3): through a predefined role's template or a stored
 * roleprivileges row at any depth, by any grant (task privileges have no record depth).
 */
export function hasTaskPrivilege(security: SecurityContext, name: TaskPrivilege): boolean {
  const id = privilegeIdOf(name)
  return security.grants.some(
    (g) =>
      predefinedRoleByTemplate(g.templateId)?.tasks.includes(name) === true ||
      (g.privileges.get(id) ?? NONE) !== NONE,
  )
}
