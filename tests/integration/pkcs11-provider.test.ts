// The PKCS#11 key provider against a real SoftHSM2 token made for this file (issue #6).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pkcs11js from 'pkcs11js'
import { dekContext, generateDataKey } from '../../src/keys/envelope.ts'
import type { KeyProvider, ProviderKeyInfo } from '../../src/keys/key-provider.ts'
import { objectId } from '../../src/keys/pkcs11/key-objects.ts'
import { openPkcs11Provider } from '../../src/keys/pkcs11/open-pkcs11-provider.ts'
import { fixedClock } from '../../src/shared/clock.ts'
import { AppError } from '../../src/shared/errors.ts'
import type { ErrorCode } from '../../src/shared/errors.ts'
import { capturingLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { Secret } from '../../src/shared/secret.ts'
import { adminHandle, createSoftHsmToken, hasSoftHsm } from '../helpers/softhsm.ts'
import type { SoftHsmToken } from '../helpers/softhsm.ts'

const code =
  (c: ErrorCode) =>
  (e: unknown): boolean =>
    e instanceof AppError && e.code === c
const clock = fixedClock(new Date('2030-01-01T00:00:00.000Z'))
const ctxA = dekContext({ purpose: 'environment-db', tenantId: 't-1', environmentId: 'env-a' })
const ctxB = dekContext({ purpose: 'environment-db', tenantId: 't-1', environmentId: 'env-b' })

function objectsOf(
  admin: { p11: pkcs11js.PKCS11; session: Buffer },
  keyId: string,
  version: number,
): Buffer[] {
  admin.p11.C_FindObjectsInit(admin.session, [
    { type: pkcs11js.CKA_ID, value: objectId({ keyId, version }) },
  ])
  const found = admin.p11.C_FindObjects(admin.session, 10)
  admin.p11.C_FindObjectsFinal(admin.session)
  return found
}

describe('PKCS#11 provider (SoftHSM2)', { skip: !hasSoftHsm() && 'softhsm2 not installed' }, () => {
  let token: SoftHsmToken
  let hsm: KeyProvider
  let rsa: ProviderKeyInfo
  let aes: ProviderKeyInfo
  const logger = capturingLogger()
  const providers: KeyProvider[] = []
  const open = (pin?: Secret, tokenLabel?: string): KeyProvider => {
    const p = openPkcs11Provider({
      modulePath: token.modulePath,
      tokenLabel: tokenLabel ?? token.tokenLabel,
      pin: pin ?? token.pin,
      random: cryptoRandom,
      clock,
      logger,
    })
    providers.push(p)
    return p
  }

  before(() => {
    token = createSoftHsmToken()
  })
  after(() => {
    for (const p of providers) p.close()
    token.cleanup()
  })

  // First, before anything in this process has logged in: PKCS#11 login state is per process,
  // so a wrong PIN is only checked by the token while no session is logged in.
  it('a wrong PIN is KEY_UNAVAILABLE, with neither the PIN nor a CKR code in the message', async () => {
    const wrongPin = 'not-the-pin-7319'
    const p = open(new Secret(new TextEncoder().encode(wrongPin)))
    const err = await p.createKey({ label: 'x', type: 'aes-256' }).catch((e: unknown) => e)
    assert.ok(code('KEY_UNAVAILABLE')(err))
    assert.ok(err instanceof AppError)
    assert.doesNotMatch(err.message, /CKR_|not-the-pin|PIN/)
    assert.equal(await p.health?.({ keyId: cryptoRandom.uuid(), version: 1 }), 'unreachable')
    assert.doesNotMatch(JSON.stringify(logger.entries), /not-the-pin/)
    assert.ok(logger.entries.some((e) => e.event === 'pkcs11_session.login_failed'))
  })

  it('an unknown token label is KEY_UNAVAILABLE; a bad module is KEY_PROVIDER_INVALID', async () => {
    const p = open(undefined, 'no-such-token')
    await assert.rejects(p.describeKey(cryptoRandom.uuid()), code('KEY_UNAVAILABLE'))
    assert.throws(
      () =>
        openPkcs11Provider({
          modulePath: '/nonexistent/libpkcs11.so',
          tokenLabel: 'x',
          pin: token.pin,
          random: cryptoRandom,
          clock,
          logger,
        }),
      code('KEY_PROVIDER_INVALID'),
    )
    assert.throws(() => open(undefined, 'a'.repeat(33)), code('KEY_PROVIDER_INVALID'))
  })

  it('creates RSA-2048 and AES-256 keys in the token, version 1 enabled', async () => {
    hsm = open()
    assert.equal(hsm.kind, 'pkcs11')
    rsa = await hsm.createKey({ label: 'Tenant HSM key', type: 'rsa-2048' })
    aes = await hsm.createKey({ label: 'Tenant AES key', type: 'aes-256' })
    for (const [info, type] of [
      [rsa, 'rsa-2048'],
      [aes, 'aes-256'],
    ] as const) {
      assert.match(info.keyId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.equal(info.type, type)
      assert.equal(info.currentVersion, 1)
      assert.deepEqual(
        info.versions.map((v) => [v.version, v.status]),
        [[1, 'enabled']],
      )
      assert.equal(info.versions[0]?.createdAt.toISOString(), '2030-01-01T00:00:00.000Z')
      assert.equal(await hsm.health?.({ keyId: info.keyId, version: 1 }), 'available')
    }
    assert.equal(rsa.label, 'Tenant HSM key')
  })

  it('rejects invalid key options', async () => {
    await assert.rejects(hsm.createKey({ label: '', type: 'aes-256' }), code('VALIDATION'))
  })

  for (const which of ['rsa', 'aes'] as const) {
    describe(which, () => {
      const info = (): ProviderKeyInfo => (which === 'rsa' ? rsa : aes)

      it('wraps and unwraps a data key', async () => {
        const dek = generateDataKey(cryptoRandom)
        const ref = { keyId: info().keyId, version: 1 }
        const wrapped = await hsm.wrap(ref, dek, ctxA)
        assert.equal(Buffer.from(wrapped).indexOf(Buffer.from(dek.expose())), -1)
        const back = await hsm.unwrap(ref, wrapped, ctxA)
        assert.deepEqual(back.expose(), dek.expose())
        // Randomised: the same key wraps differently each time.
        assert.notDeepEqual(await hsm.wrap(ref, dek, ctxA), wrapped)
      })

      it('another context, a changed byte or a truncated blob is KEY_UNWRAP_FAILED', async () => {
        const ref = { keyId: info().keyId, version: 1 }
        const wrapped = await hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA)
        await assert.rejects(hsm.unwrap(ref, wrapped, ctxB), code('KEY_UNWRAP_FAILED'))
        for (const at of [1, 20, wrapped.length - 1]) {
          const bad = wrapped.slice()
          bad[at] = (bad[at] ?? 0) ^ 0x01
          await assert.rejects(hsm.unwrap(ref, bad, ctxA), code('KEY_UNWRAP_FAILED'))
        }
        await assert.rejects(
          hsm.unwrap(ref, wrapped.subarray(0, wrapped.length - 1), ctxA),
          code('KEY_UNWRAP_FAILED'),
        )
        // The provider still works after failures (no half-finished operation left behind).
        assert.equal((await hsm.unwrap(ref, wrapped, ctxA)).length, 32)
      })
    })
  }

  it('the private and secret keys are sensitive and never extractable', () => {
    const admin = adminHandle(token)
    for (const info of [rsa, aes]) {
      const objects = objectsOf(admin, info.keyId, 1)
      assert.equal(objects.length, info.type === 'aes-256' ? 1 : 2)
      for (const object of objects) {
        const [cls] = admin.p11.C_GetAttributeValue(admin.session, object, [
          { type: pkcs11js.CKA_CLASS },
        ])
        const klass = cls?.value.readUInt32LE(0)
        if (klass === pkcs11js.CKO_PUBLIC_KEY) continue
        const attrs = admin.p11.C_GetAttributeValue(admin.session, object, [
          { type: pkcs11js.CKA_TOKEN },
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
          { type: pkcs11js.CKA_UNWRAP },
        ])
        assert.deepEqual(
          attrs.map((a) => a.value[0]),
          [1, 1, 0, 1, 0],
        )
        const secretPart =
          klass === pkcs11js.CKO_PRIVATE_KEY ? pkcs11js.CKA_PRIVATE_EXPONENT : pkcs11js.CKA_VALUE
        assert.throws(
          () => admin.p11.C_GetAttributeValue(admin.session, object, [{ type: secretPart }]),
          (e: unknown) => (e as { code?: number }).code === pkcs11js.CKR_ATTRIBUTE_SENSITIVE,
        )
      }
    }
  })

  it('rotate: v2 becomes current, v1 still unwraps', async () => {
    const dek = generateDataKey(cryptoRandom)
    const v1 = { keyId: rsa.keyId, version: 1 }
    const old = await hsm.wrap(v1, dek, ctxA)
    const rotated = await hsm.rotateKey(rsa.keyId)
    assert.equal(rotated.currentVersion, 2)
    assert.deepEqual(
      rotated.versions.map((v) => [v.version, v.status]),
      [
        [1, 'enabled'],
        [2, 'enabled'],
      ],
    )
    const v2 = { keyId: rsa.keyId, version: 2 }
    assert.deepEqual((await hsm.unwrap(v1, old, ctxA)).expose(), dek.expose())
    const fresh = await hsm.wrap(v2, dek, ctxA)
    assert.deepEqual((await hsm.unwrap(v2, fresh, ctxA)).expose(), dek.expose())
    // Versions are different keys: a v1 blob doesn't unwrap as v2.
    await assert.rejects(hsm.unwrap(v2, old, ctxA), code('KEY_UNWRAP_FAILED'))
    rsa = rotated
  })

  it('disable clears CKA_DECRYPT: health disabled, wrap and unwrap refused; enable restores', async () => {
    const ref = { keyId: aes.keyId, version: 1 }
    const wrapped = await hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA)
    await hsm.setVersionStatus(ref, 'disabled')
    assert.equal((await hsm.describeKey(aes.keyId)).versions[0]?.status, 'disabled')
    assert.equal(await hsm.health?.(ref), 'disabled')
    await assert.rejects(hsm.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    await assert.rejects(
      hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA),
      code('KEY_UNAVAILABLE'),
    )
    await assert.rejects(hsm.setVersionStatus(ref, 'disabled'), code('INVALID_STATE'))
    await hsm.setVersionStatus(ref, 'enabled')
    assert.equal(await hsm.health?.(ref), 'available')
    assert.equal((await hsm.unwrap(ref, wrapped, ctxA)).length, 32)
  })

  it('a version deleted by an HSM administrator reports destroyed / missing and fails closed', async () => {
    const key = await hsm.createKey({ label: 'doomed', type: 'aes-256' })
    const ref = { keyId: key.keyId, version: 1 }
    const wrapped = await hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA)
    const admin = adminHandle(token)
    for (const object of objectsOf(admin, key.keyId, 1)) {
      admin.p11.C_DestroyObject(admin.session, object)
    }
    assert.equal((await hsm.describeKey(key.keyId)).versions[0]?.status, 'destroyed')
    assert.equal(await hsm.health?.(ref), 'missing')
    const err = await hsm.unwrap(ref, wrapped, ctxA).catch((e: unknown) => e)
    assert.ok(code('KEY_UNAVAILABLE')(err))
    assert.doesNotMatch((err as Error).message, /CKR_/)
    await assert.rejects(
      hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA),
      code('KEY_UNAVAILABLE'),
    )
    await assert.rejects(hsm.setVersionStatus(ref, 'enabled'), code('INVALID_STATE'))
  })

  it('a remembered version: status read on every call, the full lookup repeated after a second', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z')
    const p = openPkcs11Provider({
      modulePath: token.modulePath,
      tokenLabel: token.tokenLabel,
      pin: token.pin,
      random: cryptoRandom,
      clock: { now: () => new Date(now) },
      logger,
    })
    providers.push(p)
    const key = await p.createKey({ label: 'remembered', type: 'aes-256' })
    const ref = { keyId: key.keyId, version: 1 }
    const wrapped = await p.wrap(ref, generateDataKey(cryptoRandom), ctxA) // remembered now
    const admin = adminHandle(token)
    const [secret] = objectsOf(admin, key.keyId, 1)
    assert.ok(secret !== undefined)
    // Disabled by an HSM administrator (not through the provider): refused at once.
    admin.p11.C_SetAttributeValue(admin.session, secret, [
      { type: pkcs11js.CKA_DECRYPT, value: false },
    ])
    await assert.rejects(p.wrap(ref, generateDataKey(cryptoRandom), ctxA), code('KEY_UNAVAILABLE'))
    await assert.rejects(p.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    admin.p11.C_SetAttributeValue(admin.session, secret, [
      { type: pkcs11js.CKA_DECRYPT, value: true },
    ])
    assert.equal((await p.unwrap(ref, wrapped, ctxA)).length, 32)
    // A second key object with the same CKA_ID: noticed by the full lookup, within a second.
    admin.p11.C_GenerateKey(admin.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_ID, value: objectId(ref) },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
    ])
    now += 1000
    await assert.rejects(p.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    assert.equal(await p.health?.(ref), 'unreachable', 'ambiguous: neither usable nor gone')
  })

  it('destroy through the provider removes the objects (crypto-shred)', async () => {
    const ref = { keyId: rsa.keyId, version: 1 }
    const wrapped = await hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA)
    await hsm.setVersionStatus(ref, 'destroyed')
    assert.equal(objectsOf(adminHandle(token), rsa.keyId, 1).length, 0)
    assert.deepEqual(
      (await hsm.describeKey(rsa.keyId)).versions.map((v) => v.status),
      ['destroyed', 'enabled'],
    )
    await assert.rejects(hsm.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    await assert.rejects(hsm.setVersionStatus(ref, 'enabled'), code('INVALID_STATE'))
  })

  it('unknown keys and versions are KEY_NOT_FOUND, health missing', async () => {
    const unknown = { keyId: cryptoRandom.uuid(), version: 1 }
    await assert.rejects(hsm.describeKey(unknown.keyId), code('KEY_NOT_FOUND'))
    await assert.rejects(hsm.describeKey('not-a-guid'), code('KEY_NOT_FOUND'))
    await assert.rejects(hsm.rotateKey(unknown.keyId), code('KEY_NOT_FOUND'))
    await assert.rejects(
      hsm.wrap(unknown, generateDataKey(cryptoRandom), ctxA),
      code('KEY_NOT_FOUND'),
    )
    await assert.rejects(
      hsm.wrap({ keyId: aes.keyId, version: 9 }, generateDataKey(cryptoRandom), ctxA),
      code('KEY_NOT_FOUND'),
    )
    await assert.rejects(hsm.setVersionStatus(unknown, 'disabled'), code('KEY_NOT_FOUND'))
    assert.equal(await hsm.health?.(unknown), 'missing')
    assert.equal(await hsm.health?.({ keyId: 'x', version: 0 }), 'missing')
  })

  it('reopens its session when the token closes it (CKR_SESSION_HANDLE_INVALID)', async () => {
    const ref = { keyId: aes.keyId, version: 1 }
    const wrapped = await hsm.wrap(ref, generateDataKey(cryptoRandom), ctxA)
    const admin = adminHandle(token)
    // Closes every session of this process on the token, the provider's included.
    admin.p11.C_CloseAllSessions(admin.slot)
    assert.equal((await hsm.unwrap(ref, wrapped, ctxA)).length, 32)
    assert.ok(logger.entries.some((e) => e.event === 'pkcs11_session.lost'))
  })

  it('a second provider on the same token finds the keys (persistence)', async () => {
    const ref = { keyId: rsa.keyId, version: 2 }
    const dek = generateDataKey(cryptoRandom)
    const wrapped = await hsm.wrap(ref, dek, ctxA)
    const again = open()
    assert.deepEqual(await again.describeKey(rsa.keyId), await hsm.describeKey(rsa.keyId))
    assert.deepEqual((await again.unwrap(ref, wrapped, ctxA)).expose(), dek.expose())
  })

  it('creates an RSA-3072 key', async () => {
    const key = await hsm.createKey({ label: 'big', type: 'rsa-3072' })
    assert.equal(key.type, 'rsa-3072')
    const ref = { keyId: key.keyId, version: 1 }
    const wrapped = await hsm.wrap(ref, generateDataKey(cryptoRandom), ctxB)
    assert.equal(wrapped.length, 1 + 384)
    assert.equal((await hsm.unwrap(ref, wrapped, ctxB)).length, 32)
  })

  it('a closed provider is KEY_UNAVAILABLE and health unreachable', async () => {
    const p = open()
    p.close()
    p.close()
    await assert.rejects(p.describeKey(aes.keyId), code('KEY_UNAVAILABLE'))
    assert.equal(await p.health?.({ keyId: aes.keyId, version: 1 }), 'unreachable')
  })

  it('never logs the PIN', () => {
    const pin = new TextDecoder().decode(token.pin.expose())
    assert.equal(JSON.stringify(logger.entries).includes(pin), false)
  })
})
