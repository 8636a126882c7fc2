import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { AppError } from '../shared/errors.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import { Secret } from '../shared/secret.ts'
import { createEnvironmentDatabases } from './environment-databases.ts'

// DESIGN invariant 3: unwrapped keys live in memory only while the environment is open; the
// field key (cell-level encryption) leaves with the handle, like the DEK.
describe('field key lifecycle of an open environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-fieldkey-'))
  after(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const dek = new Uint8Array(randomBytes(32))
  const fieldKey = new Uint8Array(randomBytes(32))
  const setup = (resolveFieldKey?: (id: EnvironmentId) => Promise<Secret>) =>
    createEnvironmentDatabases({
      dir,
      capacity: 2,
      cipher: 'aegis',
      pageCacheKiB: 256,
      synchronous: 'normal',
      busyTimeoutMs: 1000,
      resolveKey: () => Promise.resolve(new Secret(dek.slice())),
      ...(resolveFieldKey === undefined ? {} : { resolveFieldKey }),
      onOpen: () => Promise.resolve(),
    })

  it('unwraps once per open handle, and zeroes the key when the handle is evicted', async () => {
    let calls = 0
    const dbs = setup(() => {
      calls += 1
      return Promise.resolve(new Secret(fieldKey.slice()))
    })
    const id = randomUUID() as EnvironmentId
    await dbs.create(id, new Secret(dek.slice()))
    const first = await dbs.use(id, (_db, keys) => keys.fieldKey())
    const again = await dbs.use(id, (_db, keys) => keys.fieldKey())
    assert.equal(first, again)
    assert.equal(calls, 1)
    assert.deepEqual(first.expose(), fieldKey)
    dbs.evict(id) // what a lock, delete or purge does
    await Promise.resolve()
    assert.ok(
      first.expose().every((b) => b === 0),
      'the evicted field key is zeroed',
    )
    const reopened = await dbs.use(id, (_db, keys) => keys.fieldKey())
    assert.equal(calls, 2)
    assert.deepEqual(reopened.expose(), fieldKey)
    await dbs.closeAll()
    await Promise.resolve()
    assert.ok(
      reopened.expose().every((b) => b === 0),
      'closeAll zeroes it too',
    )
  })

  it('derives each named key once per open handle and zeroes it with the field key', async () => {
    const dbs = setup(() => Promise.resolve(new Secret(fieldKey.slice())))
    const id = randomUUID() as EnvironmentId
    await dbs.create(id, new Secret(dek.slice()))
    let derivations = 0
    const derive = (k: Secret): Secret => {
      derivations += 1
      return new Secret(k.expose().map((b) => b ^ 0x5a))
    }
    const [a, b] = await dbs.use(id, (_db, keys) =>
      Promise.all([keys.derivedKey('cell:t.c', derive), keys.derivedKey('cell:t.c', derive)]),
    )
    // Once derived, the key itself comes back synchronously (a point read stays synchronous).
    const again = await dbs.use(id, (_db, keys) =>
      Promise.resolve(keys.derivedKey('cell:t.c', derive)),
    )
    assert.ok(again instanceof Secret, 'a derived key is returned as is, not as a promise')
    assert.equal(a, b)
    assert.equal(a, again)
    assert.equal(derivations, 1, 'one derivation per name per handle')
    const first = await dbs.use(id, (_db, keys) => {
      const pending = keys.derivedKey('cell:t.d', derive)
      assert.ok(pending instanceof Promise, 'the first derivation may have to unwrap: a promise')
      return pending
    })
    assert.ok(first instanceof Secret)
    assert.equal(derivations, 2)
    dbs.evict(id)
    await Promise.resolve()
    assert.ok(
      a.expose().every((x) => x === 0),
      'the derived key is zeroed with the handle',
    )
    const reopened = await dbs.use(id, async (_db, keys) => keys.derivedKey('cell:t.c', derive))
    assert.equal(derivations, 3, 'a new handle derives again')
    assert.deepEqual(
      reopened.expose(),
      fieldKey.map((x) => x ^ 0x5a),
    )
    await dbs.closeAll()
  })

  it('keeps the key while a caller still uses an evicted handle, then zeroes it', async () => {
    const dbs = setup(() => Promise.resolve(new Secret(fieldKey.slice())))
    const id = randomUUID() as EnvironmentId
    await dbs.create(id, new Secret(dek.slice()))
    let held: Secret | undefined
    await dbs.use(id, async (_db, keys) => {
      held = await keys.fieldKey()
      dbs.evict(id)
      assert.deepEqual(held.expose(), fieldKey, 'still usable inside the callback')
    })
    await Promise.resolve()
    assert.ok(held?.expose().every((b) => b === 0))
    await dbs.closeAll()
  })

  it('does not keep a failed unwrap: the next use asks again', async () => {
    let fail = true
    const dbs = setup(() =>
      fail
        ? Promise.reject(new AppError('KEY_UNAVAILABLE', 'provider down'))
        : Promise.resolve(new Secret(fieldKey.slice())),
    )
    const id = randomUUID() as EnvironmentId
    await dbs.create(id, new Secret(dek.slice()))
    await assert.rejects(
      dbs.use(id, (_db, keys) => keys.fieldKey()),
      { code: 'KEY_UNAVAILABLE' },
    )
    fail = false
    const key = await dbs.use(id, (_db, keys) => keys.fieldKey())
    assert.deepEqual(key.expose(), fieldKey)
    await dbs.closeAll()
  })

  it('refuses when no field key resolver is configured', async () => {
    const dbs = setup()
    const id = randomUUID() as EnvironmentId
    await dbs.create(id, new Secret(dek.slice()))
    await assert.rejects(
      dbs.use(id, (_db, keys) => keys.fieldKey()),
      { code: 'KEY_UNAVAILABLE' },
    )
    await dbs.closeAll()
  })
})
