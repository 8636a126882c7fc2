import type { JWK } from 'jose'
import { z } from 'zod'
import type { Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import type { TenantId } from '../shared/ids.ts'
import type { Random } from '../shared/random.ts'
import type { IdentityDb } from './types.ts'

/**
 * The JWS algorithms any issuer may be trusted with: asymmetric only. 'none' and HS* are never
 * accepted (RFC 8725 §3.1-§3.2: the verifier fixes the algorithms; a public key must never be
 * usable as an HMAC secret).
 */
export const ASYMMETRIC_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'EdDSA',
] as const

const JWKS = z.strictObject({
  keys: z
    .array(z.looseObject({ kty: z.string().max(16), kid: z.string().max(128).optional() }))
    .max(20),
})
const KIND = z.enum(['builtin', 'external'])
const ALGORITHMS = z.array(z.enum(ASYMMETRIC_ALGS)).min(1).max(ASYMMETRIC_ALGS.length)

/** A trusted issuer as the verifier uses it. */
export interface TrustedIssuer {
  readonly id: string
  readonly tenantId: TenantId
  readonly issuer: string
  readonly kind: 'builtin' | 'external'
  /** Inline public keys (built-in issuer), or the URL of a remote JWKS (external IdPs). */
  readonly keys: { readonly jwks: { keys: JWK[] } } | { readonly jwksUri: URL }
  readonly algorithms: readonly (typeof ASYMMETRIC_ALGS)[number][]
}

const corrupt = (cause?: unknown) =>
  new AppError('CONTROL_PLANE_CORRUPT', 'A trusted issuer row is malformed.', { cause })

/**
 * The tenant's trusted issuer whose `iss` is exactly `issuer`, or undefined. The row is parsed
 * as untrusted input (STYLE §6: JSON read back from the database).
 */
export async function findTrustedIssuer(
  db: IdentityDb,
  tenantId: TenantId,
  issuer: string,
): Promise<TrustedIssuer | undefined> {
  const row = await db
    .selectFrom('trusted_issuers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('issuer', '=', issuer)
    .executeTakeFirst()
  if (row === undefined) return undefined
  try {
    const algorithms = ALGORITHMS.parse(JSON.parse(row.algorithms))
    let keys: TrustedIssuer['keys']
    if (row.jwks !== null) keys = { jwks: JWKS.parse(JSON.parse(row.jwks)) as { keys: JWK[] } }
    else if (row.jwks_uri !== null && row.jwks_uri.startsWith('https://')) {
      keys = { jwksUri: new URL(row.jwks_uri) }
    } else throw corrupt()
    const kind = KIND.parse(row.kind)
    return { id: row.id, tenantId, issuer: row.issuer, kind, keys, algorithms }
  } catch (e) {
    throw e instanceof AppError ? e : corrupt(e)
  }
}

/**
 * Registers (or refreshes) the tenant's built-in issuer with its current public keys. Called
 * whenever the tenant's provider is built, so the row follows a changed public URL and new or
 * retired signing keys. There is one built-in row per tenant.
 */
export async function registerBuiltInIssuer(
  db: IdentityDb,
  deps: { random: Random; clock: Clock },
  input: { tenantId: TenantId; issuer: string; publicJwks: readonly JWK[]; algorithm: string },
): Promise<void> {
  const jwks = JSON.stringify({ keys: input.publicJwks })
  const algorithms = JSON.stringify([input.algorithm])
  await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('trusted_issuers')
      .select('id')
      .where('tenant_id', '=', input.tenantId)
      .where('kind', '=', 'builtin')
      .executeTakeFirst()
    if (existing === undefined) {
      await trx
        .insertInto('trusted_issuers')
        .values({
          id: deps.random.uuid(),
          tenant_id: input.tenantId,
          issuer: input.issuer,
          kind: 'builtin',
          jwks,
          jwks_uri: null,
          algorithms,
          created_at: deps.clock.now().toISOString(),
        })
        .execute()
    } else {
      await trx
        .updateTable('trusted_issuers')
        .set({ issuer: input.issuer, jwks, algorithms })
        .where('id', '=', existing.id)
        .execute()
    }
  })
}
