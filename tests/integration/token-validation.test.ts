import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose'
import type { Strongroom } from '../../src/app.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import {
  createTokenVerifier,
  UNAUTHORIZED_MESSAGE,
  type TokenVerifier,
} from '../../src/identity/index.ts'
import { registerBuiltInIssuer } from '../../src/identity/trusted-issuers.ts'
import { fixedClock } from '../../src/shared/clock.ts'
import type { TenantId } from '../../src/shared/ids.ts'
import { capturingLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

const BASE = 'https://localhost:8443'
const NOW = new Date('2025-06-01T12:00:00Z')
const now = Math.floor(NOW.getTime() / 1000)
const KID = 'key-1'
const CLIENT = '6a1f5c6e-3d2b-4c1a-9f0e-1234567890ab'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('token validation (verifier level)', () => {
  const dir = tempDir('sr-tokens-')
  const logger = capturingLogger()
  let app: Strongroom
  let verifier: TokenVerifier
  let tenantA: TenantId
  let tenantB: TenantId
  let keyA: CryptoKey
  let publicA: CryptoKey
  let keyB: CryptoKey
  let otherKey: CryptoKey
  const inactive = new Set<string>()
  const issuerA = `${BASE}/tenant-a/oauth2`
  const issuerB = `${BASE}/tenant-b/oauth2`
  const audA = `${BASE}/tenant-a/prod/`
  const audB = `${BASE}/tenant-b/prod/`
  const expectA = () => ({ tenantId: tenantA, audience: audA })

  /** The valid claims, with `over` applied; an undefined value removes the claim. */
  const claims = (over: Record<string, unknown> = {}): JWTPayload =>
    Object.fromEntries(
      Object.entries<unknown>({
        iss: issuerA,
        aud: audA,
        sub: CLIENT,
        client_id: CLIENT,
        iat: now - 60,
        exp: now + 3540,
        jti: 'j1',
        ...over,
      }).filter(([, v]) => v !== undefined),
    )
  const sign = (
    payload: JWTPayload = claims(),
    key: CryptoKey = keyA,
    header: Record<string, unknown> = {},
  ) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: KID, typ: 'at+jwt', ...header })
      .sign(key)

  const refused = async (token: string, expected = expectA()) => {
    await assert.rejects(verifier.verify(token, expected), (e: unknown) => {
      const err = e as { code?: string; message?: string; cause?: unknown }
      assert.equal(err.code, 'UNAUTHORIZED')
      assert.equal(err.message, UNAUTHORIZED_MESSAGE)
      assert.equal(err.cause, undefined)
      return true
    })
  }

  before(async () => {
    app = await openApp(join(dir.path, 'data'), { init: true })
    tenantA = (await createTenant(app.control, { name: 'tenant-a', actor: 'test' })).id
    tenantB = (await createTenant(app.control, { name: 'tenant-b', actor: 'test' })).id
    const a = await generateKeyPair('ES256', { extractable: true })
    const b = await generateKeyPair('ES256', { extractable: true })
    const o = await generateKeyPair('ES256', { extractable: true })
    keyA = a.privateKey
    publicA = a.publicKey
    keyB = b.privateKey
    otherKey = o.privateKey
    const deps = { random: cryptoRandom, clock: fixedClock(NOW) }
    const jwk = async (k: CryptoKey) => ({
      ...(await exportJWK(k)),
      kid: KID,
      alg: 'ES256',
      use: 'sig',
    })
    await registerBuiltInIssuer(app.control.db, deps, {
      tenantId: tenantA,
      issuer: issuerA,
      publicJwks: [await jwk(a.publicKey)],
      algorithm: 'ES256',
    })
    await registerBuiltInIssuer(app.control.db, deps, {
      tenantId: tenantB,
      issuer: issuerB,
      publicJwks: [await jwk(b.publicKey)],
      algorithm: 'ES256',
    })
    verifier = createTokenVerifier({
      db: app.control.db,
      clock: fixedClock(NOW),
      logger,
      maxTokenAgeSeconds: 3630,
      isClientActive: (_tenant, clientId) => Promise.resolve(!inactive.has(clientId)),
    })
  })
  after(async () => {
    await app.close()
    dir.remove()
  })

  it('accepts a valid token and returns the principal', async () => {
    const principal = await verifier.verify(await sign(), expectA())
    assert.deepEqual(principal, {
      kind: 'application',
      tenantId: tenantA,
      issuer: issuerA,
      issuerKind: 'builtin',
      subject: CLIENT,
      clientId: CLIENT,
      audience: audA,
      issuedAt: now - 60,
      expiresAt: now + 3540,
      methods: [],
    })
  })

  it('reads a groups claim of GUIDs (sorted, lower-case, unique); refuses a malformed or oversized one', async () => {
    const g1 = '7C9E6679-7425-40DE-944B-E07FC1F90AE7'
    const g2 = '0f8fad5b-d9cb-469f-a165-70867728950e'
    const principal = await verifier.verify(await sign(claims({ groups: [g1, g2, g1] })), expectA())
    assert.deepEqual(principal.groups, [g2, g1.toLowerCase()])
    // No claim, or an empty one: no groups property at all.
    assert.equal(
      (await verifier.verify(await sign(claims({ groups: [] })), expectA())).groups,
      undefined,
    )
    await refused(await sign(claims({ groups: ['sales'] })))
    await refused(await sign(claims({ groups: g2 })))
    const many = Array.from(
      { length: 201 },
      (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    )
    await refused(await sign(claims({ groups: many })))
    // Entra's overage claim is not followed: the caller is in no group.
    const overage = await verifier.verify(
      await sign(
        claims({
          _claim_names: { groups: 'src1' },
          _claim_sources: { src1: { endpoint: 'https://graph.example/x' } },
        }),
      ),
      expectA(),
    )
    assert.equal(overage.groups, undefined)
  })

  it('refuses no token and an empty one', async () => {
    await refused('')
    await refused(undefined as unknown as string)
    await refused('x'.repeat(9000))
  })

  it('refuses malformed tokens (not three parts, bad base64, bad JSON)', async () => {
    const valid = await sign()
    const [h, p, s] = valid.split('.') as [string, string, string]
    await refused('abc')
    await refused(`${h}.${p}`)
    await refused(`${h}.${p}.${s}.${s}.${s}`)
    await refused(`${h}.${p}.`)
    await refused(`${h}!.${p}.${s}`)
    await refused(`${h}.${p}%.${s}`)
    await refused(`${h}.${Buffer.from('{not json').toString('base64url')}.${s}`)
    await refused(`${h}.${p}.${s.slice(0, -4)}AAAA`)
  })

  it('refuses a token signed by another key with the same kid', async () => {
    await refused(await sign(claims(), otherKey))
  })

  it("refuses alg 'none'", async () => {
    const header = b64({ alg: 'none', typ: 'at+jwt', kid: KID })
    await refused(`${header}.${b64(claims())}.`)
    await refused(`${header}.${b64(claims())}.AAAA`)
  })

  it('refuses HS256 signed with the public key as the secret', async () => {
    const pem = await exportSPKI(publicA)
    const jwkText = JSON.stringify(await exportJWK(publicA))
    for (const secret of [pem, jwkText]) {
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: KID })}.${b64(claims())}`
      const mac = createHmac('sha256', secret).update(input).digest('base64url')
      await refused(`${input}.${mac}`)
    }
  })

  it('refuses a wrong issuer, a wrong typ and missing claims', async () => {
    await refused(await sign(claims({ iss: `${BASE}/evil/oauth2` })))
    await refused(await sign(claims({ iss: issuerB })))
    await refused(await sign(claims(), keyA, { typ: 'JWT' }))
    await refused(await sign(claims({ client_id: undefined })))
    await refused(await sign(claims({ sub: undefined })))
  })

  it('refuses the wrong audience (another environment of the same tenant)', async () => {
    await refused(await sign(claims({ aud: `${BASE}/tenant-a/dev/` })))
    await refused(await sign(), { tenantId: tenantA, audience: `${BASE}/tenant-a/dev/` })
  })

  it('refuses an expired token, allowing 30 s of clock skew', async () => {
    await refused(await sign(claims({ iat: now - 4000, exp: now - 31 })))
    const skewed = await verifier.verify(
      await sign(claims({ iat: now - 3000, exp: now - 20 })),
      expectA(),
    )
    assert.equal(skewed.expiresAt, now - 20)
  })

  it('refuses a token not yet valid (nbf) and one older than the maximum age', async () => {
    await refused(await sign(claims({ nbf: now + 120 })))
    await refused(await sign(claims({ iat: now - 7200, exp: now + 3600 })))
  })

  it("refuses tenant A's token at tenant B's environment", async () => {
    const tokenA = await sign()
    await refused(tokenA, { tenantId: tenantB, audience: audB })
    await refused(tokenA, { tenantId: tenantB, audience: audA })
    // Even B's own issuer and key, if the audience names A's environment, stays in B.
    const tokenB = await sign(claims({ iss: issuerB, aud: audA }), keyB)
    await refused(tokenB)
  })

  it('refuses a token whose client is no longer registered', async () => {
    inactive.add(CLIENT)
    try {
      await refused(await sign())
    } finally {
      inactive.delete(CLIENT)
    }
  })

  it('logs the reason at debug level only', () => {
    const rejections = logger.entries.filter((e) => e.event === 'auth.token_rejected')
    assert.ok(rejections.length > 10)
    assert.ok(rejections.every((e) => e.level === 'debug'))
    assert.ok(rejections.some((e) => e.fields['reason'] === 'untrusted issuer'))
  })
})
