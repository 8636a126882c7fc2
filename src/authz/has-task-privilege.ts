import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { predefinedRoleByTemplate } from './predefined-roles.ts'
import { NONE, privilegeIdOf, type TaskPrivilege } from './privileges.ts'
import type { SecurityContext } from './security-context.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'

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

/**
 * Requires a task privilege of the caller and, when it impersonates, of the real caller too
 * (the intersection, docs/authz.md §8).
 *
 * @throws AppError FORBIDDEN (0x80040220) naming the privilege and the user who lacks it
 */
export function requireTaskPrivilege(caller: Caller, name: TaskPrivilege): void {
  for (const who of caller.impersonator === undefined ? [caller] : [caller.impersonator, caller]) {
    if (!hasTaskPrivilege(who.security ?? securityFromRoleNames(who), name)) {
      throw new AppError(
        'FORBIDDEN',
        `Principal user (Id=${who.systemUserId}) is missing ${name} privilege.`,
      )
    }
  }
}
