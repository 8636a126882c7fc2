import type { EnvironmentId, TenantId } from '../shared/ids.ts'
import type { Secret } from '../shared/secret.ts'

/** An application user as listed: its OAuth client and its systemuser. */
export interface ApplicationUser {
  readonly clientId: string
  readonly name: string
  readonly tenantId: TenantId
  readonly environmentId: EnvironmentId
  /** The systemuser id in the environment. */
  readonly applicationUserId: string
  readonly createdAt: string
}

/** What createApplicationUser returns: everything a client needs, the secret only this once. */
export interface CreatedApplicationUser extends ApplicationUser {
  readonly clientSecret: Secret
  readonly issuer: string
  readonly tokenEndpoint: string
  /** The environment URL: the `resource` to ask a token for, and the token's `aud`. */
  readonly resource: string
}

/** The environment user a principal acts as (with its security context, authz). */
export type { Caller } from '../authz/index.ts'
