import { generateKeyPairSync } from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { z } from 'zod'
import { open, seal } from '../crypto/aead.ts'
import { encodeContext } from '../crypto/encode-context.ts'
import type { Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import type { TenantId } from '../shared/ids.ts'
import type { Random } from '../shared/random.ts'
import type { Secret } from '../shared/secret.ts'
import type { IdentityDb } from './types.ts'

/** The built-in provider signs with ES256 only (RFC 7518 §3.4; RFC 9068 §2.1: no 'none'). */
export const SIGNING_ALG = 'ES256'
const AAD_DOMAIN = 'strongroom/identity/signing-key/v1'

const EC_PUBLIC = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().max(64),
  y: z.string().max(64),
  kid: z.string().max(64),
  alg: z.literal(SIGNING_ALG),
  use: z.literal('sig'),
})
const EC_PRIVATE = EC_PUBLIC.extend({ d: z.string().max(64) })

export interface SigningKeys {
  /** Private JWKs for oidc-provider, the active key first. Plaintext: memory only. */
  readonly privateJwks: readonly JWK[]
  /** Public JWKs of every key still trusted (active and retired). */
  readonly publicJwks: readonly JWK[]
}

// The AAD binds a sealed key to its tenant and kid: a row copied to another tenant won't open.
const aad = (tenantId: string, kid: string): Uint8Array =>
  encodeContext(AAD_DOMAIN, [tenantId, kid])

async function createKey(
  db: IdentityDb,
  deps: { sealKey: Secret; random: Random; clock: Clock },
  tenantId: TenantId,
): Promise<void> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { crv, x, y, d } = privateKey.export({ format: 'jwk' })
  if (crv === undefined || x === undefined || y === undefined || d === undefined) {
    throw new TypeError('node:crypto exported an incomplete EC JWK')
  }
  const publicJwk = { kty: 'EC', crv, x, y }
  // RFC 7638 thumbprint as kid: stable, unique per key, and safe to publish.
  const kid = await calculateJwkThumbprint(publicJwk)
  Object.assign(publicJwk, { kid, alg: SIGNING_ALG, use: 'sig' })
  const full = { ...publicJwk, d }
  const plaintext = new TextEncoder().encode(JSON.stringify(full))
  try {
    const sealed = seal(deps.sealKey, plaintext, aad(tenantId, kid), deps.random)
    await db.transaction().execute(async (trx) => {
      const active = await trx
        .selectFrom('identity_signing_keys')
        .select('kid')
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'active')
        .executeTakeFirst()
      // Another process generated one meanwhile: keep theirs.
      if (active !== undefined) return
      await trx
        .insertInto('identity_signing_keys')
        .values({
          kid,
          tenant_id: tenantId,
          alg: SIGNING_ALG,
          status: 'active',
          public_jwk: JSON.stringify(publicJwk),
          sealed_private_jwk: sealed,
          created_at: deps.clock.now().toISOString(),
        })
        .execute()
    })
  } finally {
    plaintext.fill(0)
  }
}

/**
 * The tenant's signing keys, generating the first (ES256) at first use. The private JWK is
 * stored only sealed; each is opened with its tenant and kid as associated data.
 *
 * @throws AppError DECRYPT_FAILED when a sealed key doesn't open (altered, or another key)
 */
export async function loadSigningKeys(
  db: IdentityDb,
  deps: { sealKey: Secret; random: Random; clock: Clock },
  tenantId: TenantId,
): Promise<SigningKeys> {
  const read = () =>
    db
      .selectFrom('identity_signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .execute()
  let rows = await read()
  if (!rows.some((r) => r.status === 'active')) {
    await createKey(db, deps, tenantId)
    rows = await read()
  }
  rows.sort((a, b) => (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1))
  const privateJwks: JWK[] = []
  const publicJwks: JWK[] = []
  for (const row of rows) {
    const bytes = open(deps.sealKey, row.sealed_private_jwk, aad(tenantId, row.kid))
    try {
      const parsed = EC_PRIVATE.safeParse(JSON.parse(new TextDecoder().decode(bytes)))
      const pub = EC_PUBLIC.safeParse(JSON.parse(row.public_jwk))
      if (!parsed.success || !pub.success || parsed.data.kid !== row.kid) {
        throw new AppError('CONTROL_PLANE_CORRUPT', 'An identity signing key is malformed.')
      }
      privateJwks.push(parsed.data)
      publicJwks.push(pub.data)
    } finally {
      bytes.fill(0)
    }
  }
  return { privateJwks, publicJwks }
}
