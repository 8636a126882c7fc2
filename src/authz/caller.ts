import type { SecurityContext } from './security-context.ts'

/** The environment's user a request acts as (Dataverse systemuser), with its roles. */
export interface Caller {
  readonly systemUserId: string
  readonly businessUnitId: string
  /** Names of the security roles assigned to the user directly. */
  readonly roles: readonly string[]
  /**
   * The full security context (teams, every role grant). resolveCaller always sets it; a
   * Caller built by hand without it is treated as holding its `roles` by name, directly, with
   * no teams (securityFromRoleNames).
   */
  readonly security?: SecurityContext
  /**
   * The real caller when this request impersonates `systemUserId` (CallerObjectId /
   * MSCRMCallerID, docs/authz.md §8). Every decision is then the intersection of both users'
   * rights: record scopes ANDed, privileges and task privileges required of both, a secured
   * column usable only if both may. `createdonbehalfby` / `modifiedonbehalfby` record it.
   * Never itself impersonating.
   */
  readonly impersonator?: Caller
}

/** The user acting without impersonation: `caller` without its `impersonator`. */
export function actingAlone(caller: Caller): Caller {
  if (caller.impersonator === undefined) return caller
  const { systemUserId, businessUnitId, roles, security } = caller
  return { systemUserId, businessUnitId, roles, ...(security === undefined ? {} : { security }) }
}

/**
 * What the records layer records as the author of a write (createdby / modifiedby, and, when
 * impersonating, createdonbehalfby / modifiedonbehalfby: the real caller). Audit (issue #7)
 * reads `callingUserId` as Dataverse's `audit.callinguserid`.
 */
export function actorOf(caller: Caller): { actorId: string; callingUserId?: string } {
  return caller.impersonator === undefined
    ? { actorId: caller.systemUserId }
    : { actorId: caller.systemUserId, callingUserId: caller.impersonator.systemUserId }
}
