import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose'
import { z } from 'zod'
import type { Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import type { TenantId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import { Lru } from '../shared/lru.ts'
import type { Principal, TokenVerifier } from './principal.ts'
import { findTrustedIssuer, type TrustedIssuer } from './trusted-issuers.ts'
import type { IdentityDb } from './types.ts'

/** The one message of every refusal (STYLE §5.6): the caller never learns which check failed. */
export const UNAUTHORIZED_MESSAGE = 'The access token is missing, invalid or expired.'
/** Longer tokens are refused before any parsing (jose SECURITY.md: input size limits). */
export const MAX_TOKEN_LENGTH = 8192
/** RFC 7519 §4.1.4-§4.1.5: "some small leeway" for clock skew on exp and nbf. */
export const CLOCK_TOLERANCE_SECONDS = 30
/**
 * The most group object ids a token's `groups` claim may list. Entra puts at most 200 groups in
 * a JWT and otherwise sends an overage claim (`_claim_names` / `_claim_sources`, or
 * `hasgroups`) pointing at Microsoft Graph; overage claims are not followed (no outbound call
 * is made from a request), so such a caller is in no group team (docs/authz.md §16).
 */
export const MAX_TOKEN_GROUPS = 200
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
/** Remote JWKS requests give up after this long (STYLE §6). */
const JWKS_TIMEOUT_MS = 5000
// RFC 7515 §7.1: the JWS compact serialisation is exactly three base64url parts. This also
// refuses JWE (five parts) and unsecured JWTs with an empty signature (RFC 7519 §6).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

// OIDC claims we rely on (STYLE §6). Not strict: issuers add claims of their own.
const CLAIMS = z.object({
  iss: z.string().min(1).max(2048),
  sub: z.string().min(1).max(255),
  client_id: z.string().min(1).max(255),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().nonnegative(),
  auth_time: z.number().int().nonnegative().optional(),
  amr: z.array(z.string().max(64)).max(16).optional(),
  // Group object ids (Entra's `groups` claim): GUIDs only; anything else refuses the token.
  groups: z.array(z.string().regex(GUID)).max(MAX_TOKEN_GROUPS).optional(),
})

export interface TokenVerifierOptions {
  readonly db: IdentityDb
  readonly clock: Clock
  readonly logger: Logger
  /** Tokens whose `iat` is older than this are refused, whatever their `exp` (RFC 9068 §4). */
  readonly maxTokenAgeSeconds: number
  /**
   * Built-in issuer only: whether the token's client is still registered for that environment
   * of the tenant. A deleted application's tokens stop working at once.
   */
  readonly isClientActive: (
    tenantId: TenantId,
    clientId: string,
    audience: string,
  ) => Promise<boolean>
  /** For remote JWKS (external issuers). */
  readonly fetch?: typeof fetch
  /** Issuers whose key sets stay cached (default 256). */
  readonly keySetCacheSize?: number
}

/**
 * Creates the TokenVerifier for bearer access tokens of any trusted issuer of a tenant: the
 * built-in provider (inline JWKS) and external IdPs (remote JWKS) take the same path.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { db, clock, logger } = options
  const keySets = new Lru<string, JWTVerifyGetKey>(options.keySetCacheSize ?? 256, () => undefined)

  const keySetFor = (trusted: TrustedIssuer): JWTVerifyGetKey => {
    const cacheKey =
      'jwksUri' in trusted.keys
        ? `${trusted.id}|${trusted.keys.jwksUri.href}`
        : `${trusted.id}|${JSON.stringify(trusted.keys.jwks)}`
    let keySet = keySets.get(cacheKey)
    if (keySet === undefined) {
      keySet =
        'jwksUri' in trusted.keys
          ? createRemoteJWKSet(trusted.keys.jwksUri, {
              timeoutDuration: JWKS_TIMEOUT_MS,
              ...(options.fetch === undefined
                ? {}
                : {
                    [customFetch]: (url: string, init: RequestInit) =>
                      (options.fetch as typeof fetch)(url, { ...init, redirect: 'manual' }),
                  }),
            })
          : createLocalJWKSet(trusted.keys.jwks)
      keySets.set(cacheKey, keySet)
    }
    return keySet
  }

  return {
    async verify(token, expected): Promise<Principal> {
      const fail = (reason: string, cause?: unknown): AppError => {
        logger.log('debug', 'auth.token_rejected', {
          tenantId: expected.tenantId,
          reason,
          ...(cause instanceof Error ? { detail: cause.message } : {}),
        })
        return new AppError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE)
      }
      if (typeof token !== 'string' || token.length === 0) throw fail('missing')
      if (token.length > MAX_TOKEN_LENGTH) throw fail('too long')
      if (!COMPACT_JWS.test(token)) throw fail('not a compact JWS')
      let iss: unknown
      try {
        iss = decodeJwt(token).iss
      } catch (e) {
        throw fail('undecodable', e)
      }
      if (typeof iss !== 'string' || iss.length === 0 || iss.length > 2048) throw fail('no iss')
      // RFC 9068 §4: the issuer must be one this tenant trusts; a token of another tenant's
      // issuer finds no row here.
      const trusted = await findTrustedIssuer(db, expected.tenantId, iss)
      if (trusted === undefined) throw fail('untrusted issuer')
      let payload: unknown
      try {
        ;({ payload } = await jwtVerify(token, keySetFor(trusted), {
          // RFC 8725 §3.1: an explicit allowlist, never 'none' nor HS* (see ASYMMETRIC_ALGS).
          algorithms: [...trusted.algorithms],
          issuer: trusted.issuer,
          // RFC 9068 §4: aud must be this environment's URL.
          audience: expected.audience,
          // RFC 9068 §2.1 / §4: the built-in provider's tokens are typed at+jwt; requiring it
          // stops an ID token or another JWT of the issuer being used as an access token.
          ...(trusted.kind === 'builtin' ? { typ: 'at+jwt' } : {}),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: clock.now(),
          maxTokenAge: options.maxTokenAgeSeconds,
          requiredClaims: ['iat', 'exp', 'sub', 'client_id'],
        }))
      } catch (e) {
        throw fail('jwt verification', e)
      }
      const claims = CLAIMS.safeParse(payload)
      if (!claims.success) throw fail('claims')
      const c = claims.data
      if (
        trusted.kind === 'builtin' &&
        !(await options.isClientActive(expected.tenantId, c.client_id, expected.audience))
      ) {
        throw fail('client not registered')
      }
      return {
        // Client credentials: the subject is the client itself (RFC 9068 §2.2).
        kind: c.sub === c.client_id ? 'application' : 'user',
        tenantId: expected.tenantId,
        issuer: c.iss,
        issuerKind: trusted.kind === 'builtin' ? 'builtin' : 'external',
        subject: c.sub,
        clientId: c.client_id,
        audience: expected.audience,
        issuedAt: c.iat,
        expiresAt: c.exp,
        ...(c.auth_time === undefined ? {} : { authTime: c.auth_time }),
        methods: c.amr ?? [],
        // Sorted, lower-case, without duplicates: the caller caches key on this set.
        ...(c.groups === undefined || c.groups.length === 0
          ? {}
          : { groups: [...new Set(c.groups.map((g) => g.toLowerCase()))].sort() }),
      }
    },
  }
}
