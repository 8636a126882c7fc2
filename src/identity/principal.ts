import { createHash } from 'node:crypto'
import type { TenantId } from '../shared/ids.ts'

/**
 * Who is calling, as proven by a verified access token. Produced by the identity domain for
 * any trusted issuer (the built-in provider or a tenant's own IdP); consumed by the API, which
 * maps it to a user of the environment (systemuser) before anything is authorised.
 */
export interface Principal {
  readonly kind: 'application' | 'user'
  readonly tenantId: TenantId
  /** The token's `iss`. */
  readonly issuer: string
  /** Whether the issuer is the tenant's built-in provider or an external IdP it trusts. */
  readonly issuerKind: 'builtin' | 'external'
  /** The token's `sub`. */
  readonly subject: string
  /** The OAuth client the token was issued to (`azp` / `client_id`). */
  readonly clientId: string
  /** The environment URL the token was issued for (`aud`). */
  readonly audience: string
  /** Seconds since the epoch: `iat`, `exp`, and `auth_time` when the token has one. */
  readonly issuedAt: number
  readonly expiresAt: number
  readonly authTime?: number
  /** Authentication methods (`amr`), for conditional access later. */
  readonly methods: readonly string[]
  /**
   * The Entra group object ids of the token's `groups` claim (sorted, lower-case, unique; empty
   * or absent without the claim): membership of group teams, derived per request
   * (docs/authz.md §16).
   */
  readonly groups?: readonly string[]
}

/** A short key of a principal's group set, for the caller caches (docs/authz.md §7, §14). */
export function groupSetKey(principal: Pick<Principal, 'groups'>): string {
  const groups = principal.groups ?? []
  return groups.length === 0
    ? '-'
    : createHash('sha256').update(groups.join(',')).digest('base64url')
}

/** Verifies a bearer token for one environment. */
export interface TokenVerifier {
  /**
   * @param token the bearer token text (without "Bearer ")
   * @param expected the tenant whose environment is addressed and that environment's URL
   *   (the audience a token for it must carry)
   * @throws AppError UNAUTHORIZED for anything that is not a valid token of a trusted issuer
   *   of that tenant for that audience; the message never says which check failed
   */
  verify(token: string, expected: { tenantId: TenantId; audience: string }): Promise<Principal>
}
