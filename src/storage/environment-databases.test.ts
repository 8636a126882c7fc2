import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { sql } from 'kysely'
import type { EnvironmentId } from '../shared/ids.ts'
import { Secret } from '../shared/secret.ts'
import { createEnvironmentDatabases, type EnvironmentDatabases } from './environment-databases.ts'

describe('environment database handle cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-handles-'))
  after(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const keys = new Map<EnvironmentId, Uint8Array>()
  let resolveCalls = 0
  const make = (capacity: number, onResolve?: () => Promise<void>): EnvironmentDatabases =>
    createEnvironmentDatabases({
      dir,
      capacity,
      cipher: 'aegis',
      pageCacheKiB: 256,
      synchronous: 'normal',
      busyTimeoutMs: 1000,
      // Microtasks only, like the real control-plane path once its statements are cached.
      resolveKey: async (id) => {
        resolveCalls += 1
        await onResolve?.()
        const key = keys.get(id)
        if (key === undefined) throw new Error('unknown environment')
        return new Secret(key.slice())
      },
      onOpen: async (db) => {
        await sql`CREATE TABLE IF NOT EXISTS t (v TEXT)`.execute(db)
      },
    })

  const ids: EnvironmentId[] = []
  it('creates environments, each with its own key', async () => {
    const dbs = make(8)
    for (let i = 0; i < 3; i++) {
      const id = randomUUID() as EnvironmentId
      keys.set(id, new Uint8Array(randomBytes(32)))
      ids.push(id)
      await dbs.create(id, new Secret((keys.get(id) ?? new Uint8Array()).slice()))
      await dbs.use(id, (db) => sql`INSERT INTO t VALUES (${`row of ${String(i)}`})`.execute(db))
    }
    await dbs.closeAll()
  })

  it('never closes a handle while a caller uses it (capacity 1, concurrent cold opens)', async () => {
    const dbs = make(1)
    for (let round = 0; round < 50; round++) {
      const results = await Promise.all(
        ids.map((id, i) =>
          dbs.use(id, async (db) => {
            await Promise.resolve()
            return (
              (await sql<{ v: string }>`SELECT v FROM t`.execute(db)).rows[0]?.v ===
              `row of ${String(i)}`
            )
          }),
        ),
      )
      assert.deepEqual(results, [true, true, true], `round ${String(round)}`)
    }
    assert.ok(dbs.openCount <= 1)
    await dbs.closeAll()
  })

  it('keeps open handles within capacity however many environments are used', async () => {
    const dbs = make(2)
    for (const id of [...ids, ...ids]) await dbs.use(id, (db) => sql`SELECT 1`.execute(db))
    assert.equal(dbs.openCount, 2)
    await dbs.closeAll()
    assert.equal(dbs.openCount, 0)
  })

  it('does not keep a handle evicted while it was being opened (locked meanwhile)', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let locked = false
    const dbs = make(4, async () => {
      await gate
      if (locked) throw new Error('environment locked')
    })
    const id = ids[0] as EnvironmentId
    const use = dbs.use(id, (db) => sql`SELECT 1`.execute(db))
    await Promise.resolve()
    const before = resolveCalls
    // The environment locks while its first open is in flight: the lock evicts it.
    dbs.evict(id)
    release()
    await Promise.resolve()
    locked = true
    await assert.rejects(use, /environment locked/)
    assert.ok(resolveCalls > before, 'the key was asked for again')
    assert.equal(dbs.openCount, 0, 'nothing stays open')
    await dbs.closeAll()
  })

  it('refuses an id that is not a GUID before touching the file system', () => {
    const dbs = make(1)
    assert.throws(() => dbs.pathOf('../../etc/passwd' as EnvironmentId), { code: 'VALIDATION' })
  })
})
