import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import Database from 'better-sqlite3-multiple-ciphers'
import { Kysely, sql } from 'kysely'
import { createChangeStamp } from './change-stamp.ts'
import { sqliteDialect } from './sqlite-dialect.ts'

describe('change stamp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-stamp-'))
  after(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const file = join(dir, 'x.db')
  const open = () => {
    const raw = new Database(file)
    raw.pragma('journal_mode = WAL')
    const stamp = createChangeStamp(raw)
    const db = new Kysely<Record<string, Record<string, unknown>>>({
      dialect: sqliteDialect({
        database: raw,
        safeIntegers: false,
        corruptCode: 'DATABASE_CORRUPT',
      }),
      plugins: [stamp.plugin],
    })
    return { raw, stamp, db }
  }

  it('moves on this connection’s writes and DDL, not on its reads', async () => {
    const a = open()
    const s0 = a.stamp.current()
    await a.db.schema.createTable('t').addColumn('v', 'text').execute()
    const s1 = a.stamp.current()
    assert.notEqual(s1, s0)
    await a.db.selectFrom('t').selectAll().execute()
    await sql`PRAGMA schema_version`.execute(a.db)
    assert.equal(a.stamp.current(), s1, 'reads leave it alone')
    await a.db.insertInto('t').values({ v: 'x' }).execute()
    const s2 = a.stamp.current()
    assert.notEqual(s2, s1)
    await a.db.updateTable('t').set({ v: 'y' }).execute()
    assert.notEqual(a.stamp.current(), s2)
    a.raw.close()
  })

  it('never repeats across connections (a reopened database is a new epoch)', () => {
    const a = open()
    const first = a.stamp.current()
    a.raw.close()
    const b = open()
    assert.notEqual(b.stamp.current(), first)
    b.raw.close()
  })

  it('moves when another connection (another process) commits', async () => {
    const a = open()
    const b = open()
    await a.db.selectFrom('t').selectAll().execute()
    const before = a.stamp.current()
    await b.db.insertInto('t').values({ v: 'from b' }).execute()
    await nextTurn()
    assert.notEqual(a.stamp.current(), before)
    a.raw.close()
    b.raw.close()
  })

  it('reads data_version once per turn of the event loop', async () => {
    const a = open()
    const b = open()
    const before = a.stamp.current()
    await b.db.insertInto('t').values({ v: 'same turn' }).execute()
    // Same turn: as if read at its start (no other process can commit inside it for real).
    assert.equal(a.stamp.current(), before)
    await nextTurn()
    const after = a.stamp.current()
    assert.notEqual(after, before)
    // This connection's own writes move the stamp at once, in the same turn.
    await a.db.insertInto('t').values({ v: 'own' }).execute()
    assert.notEqual(a.stamp.current(), after)
    a.raw.close()
    b.raw.close()
  })
})

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve)
  })
