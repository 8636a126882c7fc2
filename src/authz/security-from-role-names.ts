import type { Caller } from './caller.ts'
import { predefinedRoleByName } from './predefined-roles.ts'
import type { SecurityContext } from './security-context.ts'

/**
 * The security context of a Caller that carries only role names: each predefined role named
 * is held directly by the user; other names grant nothing. resolveCaller sets the full context
 * instead, so this serves hand-built callers (tests, in-process tools).
 */
export function securityFromRoleNames(caller: Caller): SecurityContext {
  const grants = caller.roles.flatMap((name) => {
    const role = predefinedRoleByName(name)
    return role === undefined
      ? []
      : [
          {
            roleId: role.templateId,
            templateId: role.templateId,
            privileges: new Map(),
            anchor: { kind: 'user' as const },
          },
        ]
  })
  return {
    userId: caller.systemUserId,
    businessUnitId: caller.businessUnitId,
    teams: [],
    grants,
  }
}
