import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fixedClock } from '../../shared/clock.ts'
import { AppError } from '../../shared/errors.ts'
import type { ErrorCode } from '../../shared/errors.ts'
import { cryptoRandom } from '../../shared/random.ts'
import type { Random } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import { dekContext, generateDataKey } from '../envelope.ts'
import type { KeyProvider, KeyType } from '../key-provider.ts'
import { openLocalVault } from './open-local-vault.ts'
import { openVaultDatabase } from './vault-database.ts'

const code =
  (c: ErrorCode) =>
  (e: unknown): boolean =>
    e instanceof AppError && e.code === c
const clock = fixedClock(new Date('2030-01-01T00:00:00.000Z'))
const ctxA = dekContext({ purpose: 'environment-db', tenantId: 't-1', environmentId: 'env-a' })
const ctxB = dekContext({ purpose: 'environment-db', tenantId: 't-1', environmentId: 'env-b' })

/** A crypto random source that remembers every byte string it handed out. */
function recordingRandom(): Random & { readonly outputs: Uint8Array[] } {
  const outputs: Uint8Array[] = []
  return {
    outputs,
    bytes: (n) => {
      const b = cryptoRandom.bytes(n)
      outputs.push(b.slice())
      return b
    },
    uuid: () => cryptoRandom.uuid(),
  }
}

/** The vault file and its WAL and shared-memory files, those that exist. */
function vaultFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f))
}

/** Asserts no vault file contains `needle`, raw or as hex/base64. */
function assertAbsent(file: string, needle: Uint8Array, what: string): void {
  const b = Buffer.from(needle)
  const forms = [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('base64'))]
  for (const f of vaultFiles(file)) {
    const bytes = fs.readFileSync(f)
    for (const form of forms) assert.equal(bytes.indexOf(form), -1, `${what} found in ${f}`)
  }
}

describe('local vault', () => {
  let dir = ''
  let n = 0
  const open: KeyProvider[] = []
  const fresh = (): string => path.join(dir, `vault-${String(++n)}.db`)
  const vault = (file: string, key: Secret, random: Random = cryptoRandom): KeyProvider => {
    const v = openLocalVault({ path: file, key, random, clock })
    open.push(v)
    return v
  }
  const newKey = (): Secret => new Secret(cryptoRandom.bytes(32))

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-'))
  })
  after(() => {
    for (const v of open) v.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  for (const type of ['aes-256', 'rsa-2048'] as const satisfies readonly KeyType[]) {
    describe(type, () => {
      it('creates a key with version 1 enabled and current', async () => {
        const v = vault(fresh(), newKey())
        assert.equal(v.kind, 'local')
        const info = await v.createKey({ label: 'Tenant KEK', type })
        assert.equal(info.label, 'Tenant KEK')
        assert.equal(info.type, type)
        assert.equal(info.currentVersion, 1)
        assert.equal(info.versions.length, 1)
        assert.equal(info.versions[0]?.status, 'enabled')
        assert.deepEqual(info.versions[0].createdAt, clock.now())
        assert.deepEqual(await v.describeKey(info.keyId), info)
      })

      it('wraps and unwraps a data key', async () => {
        const v = vault(fresh(), newKey())
        const { keyId } = await v.createKey({ label: 'k', type })
        const ref = { keyId, version: 1 }
        const dek = generateDataKey(cryptoRandom)
        const wrapped = await v.wrap(ref, dek, ctxA)
        assert.equal(Buffer.from(wrapped).indexOf(Buffer.from(dek.expose())), -1)
        const back = await v.unwrap(ref, wrapped, ctxA)
        assert.deepEqual(back.expose(), dek.expose())
        assert.equal(String(back), '[redacted]')
      })

      it('refuses another context, a changed byte, a truncation and another key', async () => {
        const v = vault(fresh(), newKey())
        const { keyId } = await v.createKey({ label: 'k', type })
        const other = await v.createKey({ label: 'other', type })
        const ref = { keyId, version: 1 }
        const wrapped = await v.wrap(ref, generateDataKey(cryptoRandom), ctxA)
        const failed = code('KEY_UNWRAP_FAILED')
        await assert.rejects(v.unwrap(ref, wrapped, ctxB), failed)
        await assert.rejects(
          v.unwrap(
            ref,
            wrapped,
            dekContext({ purpose: 'backup', tenantId: 't-1', environmentId: 'env-a' }),
          ),
          failed,
        )
        for (const i of [0, 1, 13, Math.floor(wrapped.length / 2), wrapped.length - 1]) {
          const copy = wrapped.slice()
          copy[i] = (copy[i] ?? 0) ^ 0x80
          await assert.rejects(v.unwrap(ref, copy, ctxA), failed, `byte ${String(i)}`)
        }
        await assert.rejects(v.unwrap(ref, wrapped.subarray(0, wrapped.length - 1), ctxA), failed)
        await assert.rejects(v.unwrap(ref, new Uint8Array(0), ctxA), failed)
        await assert.rejects(v.unwrap({ keyId: other.keyId, version: 1 }, wrapped, ctxA), failed)
      })
    })
  }

  it('unknown keys and versions → KEY_NOT_FOUND', async () => {
    const v = vault(fresh(), newKey())
    const { keyId } = await v.createKey({ label: 'k', type: 'aes-256' })
    const dek = generateDataKey(cryptoRandom)
    const missing = code('KEY_NOT_FOUND')
    await assert.rejects(v.describeKey(cryptoRandom.uuid()), missing)
    await assert.rejects(v.rotateKey(cryptoRandom.uuid()), missing)
    await assert.rejects(v.wrap({ keyId, version: 2 }, dek, ctxA), missing)
    await assert.rejects(
      v.unwrap({ keyId: cryptoRandom.uuid(), version: 1 }, new Uint8Array(61), ctxA),
      missing,
    )
    await assert.rejects(v.setVersionStatus({ keyId, version: 9 }, 'disabled'), missing)
  })

  it('validates createKey options', async () => {
    const v = vault(fresh(), newKey())
    const invalid = code('VALIDATION')
    await assert.rejects(v.createKey({ label: '', type: 'aes-256' }), invalid)
    await assert.rejects(v.createKey({ label: 'x'.repeat(257), type: 'aes-256' }), invalid)
    await assert.rejects(v.createKey({ label: 'a\nb', type: 'aes-256' }), invalid)
    await assert.rejects(v.createKey({ label: 'k', type: 'des' as KeyType }), invalid)
  })

  it('rotate: version 2 becomes current, version 1 still unwraps old blobs', async () => {
    const v = vault(fresh(), newKey())
    const { keyId } = await v.createKey({ label: 'k', type: 'aes-256' })
    const dek = generateDataKey(cryptoRandom)
    const old = await v.wrap({ keyId, version: 1 }, dek, ctxA)
    const info = await v.rotateKey(keyId)
    assert.equal(info.currentVersion, 2)
    assert.deepEqual(
      info.versions.map((x) => [x.version, x.status]),
      [
        [1, 'enabled'],
        [2, 'enabled'],
      ],
    )
    assert.deepEqual((await v.unwrap({ keyId, version: 1 }, old, ctxA)).expose(), dek.expose())
    const fresh2 = await v.wrap({ keyId, version: 2 }, dek, ctxA)
    assert.deepEqual((await v.unwrap({ keyId, version: 2 }, fresh2, ctxA)).expose(), dek.expose())
    // Different versions are different keys.
    await assert.rejects(v.unwrap({ keyId, version: 2 }, old, ctxA), code('KEY_UNWRAP_FAILED'))
    assert.equal((await v.rotateKey(keyId)).currentVersion, 3)
  })

  it('disable → KEY_UNAVAILABLE for wrap and unwrap; enable restores it', async () => {
    const v = vault(fresh(), newKey())
    const { keyId } = await v.createKey({ label: 'k', type: 'aes-256' })
    const ref = { keyId, version: 1 }
    const dek = generateDataKey(cryptoRandom)
    const wrapped = await v.wrap(ref, dek, ctxA)
    await v.rotateKey(keyId)
    await v.setVersionStatus(ref, 'disabled')
    await assert.rejects(v.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    await assert.rejects(v.wrap(ref, dek, ctxA), code('KEY_UNAVAILABLE'))
    await assert.rejects(v.setVersionStatus(ref, 'disabled'), code('INVALID_STATE'))
    // Version 2 is unaffected.
    const w2 = await v.wrap({ keyId, version: 2 }, dek, ctxA)
    assert.deepEqual((await v.unwrap({ keyId, version: 2 }, w2, ctxA)).expose(), dek.expose())
    const info = await v.describeKey(keyId)
    assert.equal(info.versions[0]?.status, 'disabled')
    await v.setVersionStatus(ref, 'enabled')
    assert.deepEqual((await v.unwrap(ref, wrapped, ctxA)).expose(), dek.expose())
    await assert.rejects(v.setVersionStatus(ref, 'enabled'), code('INVALID_STATE'))
  })

  it('destroy → KEY_UNAVAILABLE forever, and the material is gone from the file', async () => {
    const file = fresh()
    const key = newKey()
    const v = vault(file, key)
    const { keyId } = await v.createKey({ label: 'k', type: 'rsa-2048' })
    const ref = { keyId, version: 1 }
    const wrapped = await v.wrap(ref, generateDataKey(cryptoRandom), ctxA)
    await v.setVersionStatus(ref, 'disabled')
    await v.setVersionStatus(ref, 'destroyed')
    await assert.rejects(v.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    for (const status of ['enabled', 'disabled', 'destroyed'] as const) {
      await assert.rejects(v.setVersionStatus(ref, status), code('INVALID_STATE'))
    }
    v.close()

    const db = openVaultDatabase(file, key)
    try {
      const row = db
        .prepare('SELECT status, material FROM key_versions WHERE key_id = ? AND version = 1')
        .get(keyId) as { status: string; material: Uint8Array | null }
      assert.equal(row.status, 'destroyed')
      assert.equal(row.material, null)
    } finally {
      db.close()
    }

    const again = vault(file, key)
    await assert.rejects(again.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    await assert.rejects(again.setVersionStatus(ref, 'enabled'), code('INVALID_STATE'))
    assert.equal((await again.describeKey(keyId)).versions[0]?.status, 'destroyed')
  })

  it('destroying an enabled version works directly and drops it from the cache', async () => {
    const v = vault(fresh(), newKey())
    const { keyId } = await v.createKey({ label: 'k', type: 'aes-256' })
    const ref = { keyId, version: 1 }
    const wrapped = await v.wrap(ref, generateDataKey(cryptoRandom), ctxA)
    await v.unwrap(ref, wrapped, ctxA)
    await v.setVersionStatus(ref, 'destroyed')
    await assert.rejects(v.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
  })

  it('reopens with the same key: keys and versions persist', async () => {
    const file = fresh()
    const key = newKey()
    const v = vault(file, key)
    const { keyId } = await v.createKey({ label: 'persisted', type: 'aes-256' })
    await v.rotateKey(keyId)
    const dek = generateDataKey(cryptoRandom)
    const wrapped = await v.wrap({ keyId, version: 2 }, dek, ctxA)
    v.close()
    const again = vault(file, key)
    const info = await again.describeKey(keyId)
    assert.equal(info.label, 'persisted')
    assert.equal(info.currentVersion, 2)
    assert.deepEqual(
      (await again.unwrap({ keyId, version: 2 }, wrapped, ctxA)).expose(),
      dek.expose(),
    )
  })

  it('reopening with another key → VAULT_CORRUPT', async () => {
    const file = fresh()
    const v = vault(file, newKey())
    await v.createKey({ label: 'k', type: 'aes-256' })
    v.close()
    assert.throws(() => vault(file, newKey()), code('VAULT_CORRUPT'))
  })

  it('a file of random bytes → VAULT_CORRUPT', () => {
    const file = fresh()
    fs.writeFileSync(file, cryptoRandom.bytes(16384), { mode: 0o600 })
    assert.throws(() => vault(file, newKey()), code('VAULT_CORRUPT'))
  })

  it('a vault from a newer schema or in a missing directory → DATA_DIR_INVALID', () => {
    const file = fresh()
    const key = newKey()
    const db = openVaultDatabase(file, key)
    db.pragma('user_version = 99')
    db.close()
    assert.throws(() => vault(file, key), code('DATA_DIR_INVALID'))
    assert.throws(() => vault(path.join(dir, 'no-such-dir', 'v.db'), key), code('DATA_DIR_INVALID'))
  })

  it('refuses a vault key that is not 32 bytes', () => {
    assert.throws(() => vault(fresh(), new Secret(new Uint8Array(16))), RangeError)
  })

  it('creates the vault and its WAL files with mode 0600', async () => {
    const file = fresh()
    const oldMask = process.umask(0o022)
    try {
      const v = vault(file, newKey())
      await v.createKey({ label: 'k', type: 'aes-256' })
      const files = vaultFiles(file)
      assert.ok(files.length >= 2, 'expected the WAL to exist while open')
      for (const f of files) assert.equal(fs.statSync(f).mode & 0o777, 0o600, f)
    } finally {
      process.umask(oldMask)
    }
  })

  it('never writes KEK material, data keys, the vault key or labels in the clear', async () => {
    const file = fresh()
    const key = newKey()
    const random = recordingRandom()
    const v = vault(file, key, random)
    const label = 'canary-label-7f3a9c'
    const aes = await v.createKey({ label, type: 'aes-256' })
    const rsa = await v.createKey({ label, type: 'rsa-2048' })
    await v.rotateKey(aes.keyId)
    const deks = [generateDataKey(random), generateDataKey(random)]
    for (const [i, dek] of deks.entries()) {
      await v.wrap({ keyId: aes.keyId, version: 1 + i }, dek, ctxA)
      await v.wrap({ keyId: rsa.keyId, version: 1 }, dek, ctxA)
    }
    const secrets = random.outputs.filter((b) => b.length >= 32)
    // Two AES KEK versions and two DEKs at least.
    assert.ok(secrets.length >= 4)
    // PKCS#8 and SPKI RSA keys both carry the rsaEncryption OID (RFC 8017 Appendix C).
    const rsaOid = new Uint8Array([
      0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ])
    const check = (): void => {
      for (const s of secrets) assertAbsent(file, s, 'random secret')
      assertAbsent(file, key.expose(), 'vault key')
      assertAbsent(file, new TextEncoder().encode(label), 'label')
      for (const f of vaultFiles(file)) {
        assert.equal(fs.readFileSync(f).indexOf(Buffer.from(rsaOid)), -1, `RSA key in ${f}`)
      }
    }
    check() // while open, with a live WAL
    v.close()
    check() // after the final checkpoint
  })

  it('material copied onto another key id or version does not unseal', async () => {
    const file = fresh()
    const key = newKey()
    const v = vault(file, key)
    const a = await v.createKey({ label: 'a', type: 'aes-256' })
    const b = await v.createKey({ label: 'b', type: 'aes-256' })
    await v.rotateKey(a.keyId)
    v.close()
    const db = openVaultDatabase(file, key)
    try {
      const copy = db.prepare(
        `UPDATE key_versions SET material =
           (SELECT material FROM key_versions WHERE key_id = ? AND version = 1)
         WHERE key_id = ? AND version = ?`,
      )
      copy.run(a.keyId, b.keyId, 1)
      copy.run(a.keyId, a.keyId, 2)
    } finally {
      db.close()
    }
    const again = vault(file, key)
    const dek = generateDataKey(cryptoRandom)
    await assert.rejects(
      again.wrap({ keyId: b.keyId, version: 1 }, dek, ctxA),
      code('VAULT_CORRUPT'),
    )
    await assert.rejects(
      again.wrap({ keyId: a.keyId, version: 2 }, dek, ctxA),
      code('VAULT_CORRUPT'),
    )
    assert.ok(await again.wrap({ keyId: a.keyId, version: 1 }, dek, ctxA))
  })

  it('two instances on one file (CLI + server) see each other at once', async () => {
    const file = fresh()
    const key = newKey()
    const server = vault(file, key)
    const cli = vault(file, key)
    const { keyId } = await cli.createKey({ label: 'shared', type: 'aes-256' })
    assert.equal((await server.describeKey(keyId)).label, 'shared')

    const dek = generateDataKey(cryptoRandom)
    const ref = { keyId, version: 1 }
    const wrapped = await server.wrap(ref, dek, ctxA)
    assert.deepEqual((await cli.unwrap(ref, wrapped, ctxA)).expose(), dek.expose())

    assert.equal((await cli.rotateKey(keyId)).currentVersion, 2)
    assert.equal((await server.describeKey(keyId)).currentVersion, 2)

    // The server has version 1 cached; a disable from the CLI still takes effect at once.
    await cli.setVersionStatus(ref, 'disabled')
    await assert.rejects(server.unwrap(ref, wrapped, ctxA), code('KEY_UNAVAILABLE'))
    await cli.setVersionStatus(ref, 'enabled')
    assert.deepEqual((await server.unwrap(ref, wrapped, ctxA)).expose(), dek.expose())

    // Concurrent rotations from both get distinct versions.
    const [r1, r2] = await Promise.all([server.rotateKey(keyId), cli.rotateKey(keyId)])
    assert.deepEqual([r1.currentVersion, r2.currentVersion].sort(), [3, 4])
  })

  it('a closed provider refuses every operation; close is idempotent', async () => {
    const v = vault(fresh(), newKey())
    const { keyId } = await v.createKey({ label: 'k', type: 'aes-256' })
    v.close()
    v.close()
    const closed = code('KEY_UNAVAILABLE')
    await assert.rejects(v.describeKey(keyId), closed)
    await assert.rejects(v.createKey({ label: 'k', type: 'aes-256' }), closed)
    await assert.rejects(v.rotateKey(keyId), closed)
    await assert.rejects(v.wrap({ keyId, version: 1 }, generateDataKey(cryptoRandom), ctxA), closed)
    await assert.rejects(v.unwrap({ keyId, version: 1 }, new Uint8Array(61), ctxA), closed)
    await assert.rejects(v.setVersionStatus({ keyId, version: 1 }, 'disabled'), closed)
  })
})
