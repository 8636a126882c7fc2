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
}
