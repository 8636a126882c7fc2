// The uploaded-key (BYOK) provider: PFX validation rules, sealed storage, wrap/unwrap (issue #6).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import forge from 'node-forge'
import { openByokProvider } from '../../src/keys/byok/open-byok-provider.ts'
import type { ByokProvider } from '../../src/keys/byok/open-byok-provider.ts'
import { dekContext, generateDataKey } from '../../src/keys/envelope.ts'
import { fixedClock } from '../../src/shared/clock.ts'
import { AppError } from '../../src/shared/errors.ts'
import type { ErrorCode } from '../../src/shared/errors.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { Secret } from '../../src/shared/secret.ts'
import { filesContaining } from '../helpers/files.ts'

const NOW = new Date('2030-01-01T00:00:00.000Z')
const DAY = 24 * 3600 * 1000
const PASSWORD = 'correct horse 42'
const secret = (s: string): Secret => new Secret(new TextEncoder().encode(s))
const ctxA = dekContext({ purpose: 'environment-db', tenantId: 't-1', environmentId: 'env-a' })
const ctxB = dekContext({ purpose: 'environment-db', tenantId: 't-1', environmentId: 'env-b' })

/** AppError `c` whose message mentions `rule` and never the password. */
const refused =
  (c: ErrorCode, rule?: RegExp) =>
  (e: unknown): boolean => {
    assert.ok(e instanceof AppError, String(e))
    assert.equal(e.code, c)
    if (rule !== undefined) assert.match(e.message, rule)
    assert.doesNotMatch(e.message, /correct horse/)
    return true
  }

/** An RSA key made by node:crypto (fast), as node-forge objects, plus its PKCS#8 DER. */
function rsaKey(bits: number): { key: forge.pki.rsa.PrivateKey; der: Buffer; d: Buffer } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const jwk = privateKey.export({ format: 'jwk' })
  return {
    key: forge.pki.privateKeyFromPem(pem),
    der: privateKey.export({ type: 'pkcs8', format: 'der' }),
    d: Buffer.from(jwk.d ?? '', 'base64url'),
  }
}

function certFor(
  key: forge.pki.rsa.PrivateKey,
  signer: forge.pki.rsa.PrivateKey,
  validity: { from: Date; to: Date },
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = '01'
  cert.validity.notBefore = validity.from
  cert.validity.notAfter = validity.to
  const name = [{ name: 'commonName', value: 'Tenant key' }]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.sign(signer, forge.md.sha256.create())
  return cert
}

function pfx(
  key: forge.pki.rsa.PrivateKey | null,
  certs: forge.pki.Certificate[],
  password: string | null = PASSWORD,
): Uint8Array {
  // node-forge: a null password writes the key in a plain keyBag; no MAC then either.
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    key,
    certs.length === 0 ? (null as unknown as forge.pki.Certificate) : certs,
    password,
    { algorithm: 'aes256', useMac: password !== null },
  )
  return new Uint8Array(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'))
}

const valid = { from: new Date(NOW.getTime() - DAY), to: new Date(NOW.getTime() + 365 * DAY) }

describe('uploaded-key (BYOK) provider', () => {
  let dir = ''
  let byok: ByokProvider
  const sealingKey = new Secret(cryptoRandom.bytes(32))
  const good = rsaKey(2048)
  const goodPfx = (): Uint8Array => pfx(good.key, [certFor(good.key, good.key, valid)])
  const open = (): ByokProvider =>
    openByokProvider({
      path: path.join(dir, 'byok.db'),
      sealingKey,
      random: cryptoRandom,
      clock: fixedClock(NOW),
    })

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-byok-'))
    byok = open()
  })
  after(() => {
    byok.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  describe('refuses, each with its own message', () => {
    it('a wrong password', async () => {
      await assert.rejects(
        byok.importPfx({ pfx: goodPfx(), password: secret('wrong') }),
        refused('KEY_IMPORT_INVALID', /password is wrong/),
      )
    })

    it('a file over 64 KiB, an empty file and a file that is not PKCS#12', async () => {
      const password = secret(PASSWORD)
      await assert.rejects(
        byok.importPfx({ pfx: new Uint8Array(64 * 1024 + 1), password }),
        refused('KEY_IMPORT_INVALID', /64 KiB/),
      )
      await assert.rejects(
        byok.importPfx({ pfx: new Uint8Array(0), password }),
        refused('KEY_IMPORT_INVALID', /empty/),
      )
      await assert.rejects(
        byok.importPfx({ pfx: cryptoRandom.bytes(500), password }),
        refused('KEY_IMPORT_INVALID', /not a readable PKCS#12/),
      )
    })

    it('a 1024-bit RSA key', async () => {
      const weak = rsaKey(1024)
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(weak.key, [certFor(weak.key, weak.key, valid)]),
          password: secret(PASSWORD),
        }),
        refused('KEY_IMPORT_INVALID', /2048, 3072 or 4096 bits/),
      )
    })

    it('an EC key', { skip: !fs.existsSync('/usr/bin/openssl') && 'no openssl' }, async () => {
      // node-forge can't make EC keys; OpenSSL builds the PFX (the password goes by file).
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-ec-'))
      const run = (args: string[]): void => {
        execFileSync('openssl', args, { cwd: work, stdio: 'ignore' })
      }
      fs.writeFileSync(path.join(work, 'pw'), PASSWORD)
      run(
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
          '-keyout',
          'k.pem',
          '-out',
          'c.pem',
          '-days',
          '30',
          '-subj',
          '/CN=ec',
        ]),
      )
      run([
        'pkcs12',
        '-export',
        '-inkey',
        'k.pem',
        '-in',
        'c.pem',
        '-out',
        'ec.pfx',
        '-passout',
        'file:pw',
      ])
      const ecPfx = new Uint8Array(fs.readFileSync(path.join(work, 'ec.pfx')))
      fs.rmSync(work, { recursive: true, force: true })
      await assert.rejects(
        byok.importPfx({ pfx: ecPfx, password: secret(PASSWORD) }),
        refused('KEY_IMPORT_INVALID', /must be RSA/),
      )
    })

    it('a certificate without its private key', async () => {
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(null, [certFor(good.key, good.key, valid)]),
          password: secret(PASSWORD),
        }),
        refused('KEY_IMPORT_INVALID', /no private key/),
      )
    })

    it('a private key without a certificate, or with one that does not match', async () => {
      await assert.rejects(
        byok.importPfx({ pfx: pfx(good.key, []), password: secret(PASSWORD) }),
        refused('KEY_IMPORT_INVALID', /no certificate/),
      )
      const other = rsaKey(2048)
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(good.key, [certFor(other.key, other.key, valid)]),
          password: secret(PASSWORD),
        }),
        refused('KEY_IMPORT_INVALID', /matches the private key/),
      )
    })

    it('an expired (or not yet valid) certificate, by the injected clock', async () => {
      const expired = {
        from: new Date(NOW.getTime() - 400 * DAY),
        to: new Date(NOW.getTime() - DAY),
      }
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(good.key, [certFor(good.key, good.key, expired)]),
          password: secret(PASSWORD),
        }),
        refused('KEY_IMPORT_INVALID', /expired/),
      )
      const future = { from: new Date(NOW.getTime() + DAY), to: new Date(NOW.getTime() + 9 * DAY) }
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(good.key, [certFor(good.key, good.key, future)]),
          password: secret(PASSWORD),
        }),
        refused('KEY_IMPORT_INVALID', /not valid yet/),
      )
    })

    it('a private key that is not password-protected', async () => {
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(good.key, [certFor(good.key, good.key, valid)], null),
          password: secret(''),
        }),
        refused('KEY_IMPORT_INVALID', /not password-protected/),
      )
    })

    it('creation and rotation by generation', async () => {
      await assert.rejects(
        byok.createKey({ label: 'x', type: 'rsa-2048' }),
        refused('KEY_OPERATION_UNSUPPORTED'),
      )
      await assert.rejects(
        byok.rotateKey(cryptoRandom.uuid()),
        refused('KEY_OPERATION_UNSUPPORTED'),
      )
    })
  })

  describe('a good PFX', () => {
    let keyId = ''

    it('imports as version 1 and wraps/unwraps with the context bound', async () => {
      const info = await byok.importPfx({
        pfx: goodPfx(),
        password: secret(PASSWORD),
        label: 'Contoso key',
      })
      assert.equal(byok.kind, 'byok')
      assert.equal(info.type, 'rsa-2048')
      assert.equal(info.label, 'Contoso key')
      assert.equal(info.currentVersion, 1)
      assert.deepEqual(
        info.versions.map((v) => [v.version, v.status]),
        [[1, 'enabled']],
      )
      keyId = info.keyId
      const ref = { keyId, version: 1 }
      const dek = generateDataKey(cryptoRandom)
      const wrapped = await byok.wrap(ref, dek, ctxA)
      assert.deepEqual((await byok.unwrap(ref, wrapped, ctxA)).expose(), dek.expose())
      await assert.rejects(byok.unwrap(ref, wrapped, ctxB), refused('KEY_UNWRAP_FAILED'))
      assert.equal(await byok.health?.(ref), 'available')
    })

    it('stores no plaintext private key bytes, nor the password', () => {
      assert.deepEqual(filesContaining(dir, good.der), [])
      assert.deepEqual(filesContaining(dir, good.d), [])
      assert.deepEqual(filesContaining(dir, PASSWORD), [])
    })

    it('importing again with the key id adds version 2; version 1 still unwraps', async () => {
      const v1 = { keyId, version: 1 }
      const dek = generateDataKey(cryptoRandom)
      const old = await byok.wrap(v1, dek, ctxA)
      const next = rsaKey(2048)
      const info = await byok.importPfx({
        pfx: pfx(next.key, [certFor(next.key, next.key, valid)]),
        password: secret(PASSWORD),
        keyId,
      })
      assert.equal(info.currentVersion, 2)
      assert.equal(info.label, 'Contoso key')
      assert.deepEqual((await byok.unwrap(v1, old, ctxA)).expose(), dek.expose())
      const v2 = { keyId, version: 2 }
      assert.deepEqual(
        (await byok.unwrap(v2, await byok.wrap(v2, dek, ctxA), ctxA)).expose(),
        dek.expose(),
      )
      const big = rsaKey(3072)
      await assert.rejects(
        byok.importPfx({
          pfx: pfx(big.key, [certFor(big.key, big.key, valid)]),
          password: secret(PASSWORD),
          keyId,
        }),
        refused('KEY_IMPORT_INVALID', /same size/),
      )
      await assert.rejects(
        byok.importPfx({ pfx: goodPfx(), password: secret(PASSWORD), keyId: cryptoRandom.uuid() }),
        refused('KEY_NOT_FOUND'),
      )
    })

    it('disable and destroy: KEY_UNAVAILABLE, health disabled then missing, material erased', async () => {
      const ref = { keyId, version: 1 }
      const wrapped = await byok.wrap(ref, generateDataKey(cryptoRandom), ctxA)
      await byok.setVersionStatus(ref, 'disabled')
      assert.equal(await byok.health?.(ref), 'disabled')
      await assert.rejects(byok.unwrap(ref, wrapped, ctxA), refused('KEY_UNAVAILABLE'))
      await byok.setVersionStatus(ref, 'destroyed')
      assert.equal(await byok.health?.(ref), 'missing')
      await assert.rejects(byok.unwrap(ref, wrapped, ctxA), refused('KEY_UNAVAILABLE'))
      await assert.rejects(byok.setVersionStatus(ref, 'enabled'), refused('INVALID_STATE'))
      assert.deepEqual(
        (await byok.describeKey(keyId)).versions.map((v) => v.status),
        ['destroyed', 'enabled'],
      )
      assert.equal(await byok.health?.({ keyId: cryptoRandom.uuid(), version: 1 }), 'missing')
    })

    it('persists: a reopened store finds the key; another sealing key is refused', async () => {
      const ref = { keyId, version: 2 }
      const dek = generateDataKey(cryptoRandom)
      const wrapped = await byok.wrap(ref, dek, ctxA)
      byok.close()
      assert.equal(await byok.health?.(ref), 'unreachable')
      byok = open()
      assert.deepEqual((await byok.unwrap(ref, wrapped, ctxA)).expose(), dek.expose())
      assert.throws(
        () =>
          openByokProvider({
            path: path.join(dir, 'byok.db'),
            sealingKey: new Secret(cryptoRandom.bytes(32)),
            random: cryptoRandom,
            clock: fixedClock(NOW),
          }),
        refused('VAULT_CORRUPT'),
      )
    })
  })
})
