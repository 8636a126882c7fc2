import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import Database from 'better-sqlite3-multiple-ciphers'
import { Kysely } from 'kysely'
import { AppError } from '../../shared/errors.ts'
import { sqliteDialect } from './sqlite-dialect.ts'

describe('sqlite dialect: the synchronous reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-dialect-'))
  after(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const open = async (name: string) => {
    const raw = new Database(join(dir, name))
    raw.pragma('journal_mode = WAL')
    const dialect = sqliteDialect({
      database: raw,
      safeIntegers: false,
      corruptCode: 'DATABASE_CORRUPT',
    })
    const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect })
    await db.schema.createTable('t').addColumn('id', 'text').addColumn('v', 'text').execute()
    await db.insertInto('t').values({ id: 'a', v: 'committed' }).execute()
    return { raw, db, reader: dialect.reader }
  }

  it('reads the first row now, and reports none as { row: undefined }', async () => {
    const { raw, reader } = await open('read.db')
    assert.deepEqual(reader.tryGet('select v from t where id = ?', ['a']), {
      row: { v: 'committed' },
    })
    assert.deepEqual(reader.tryGet('select v from t where id = ?', ['zz']), { row: undefined })
    raw.close()
  })

  it('declines while a transaction holds the connection, so uncommitted rows never leak', async () => {
    const { raw, db, reader } = await open('tx.db')
    let inside: unknown = 'not run'
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('t').set({ v: 'uncommitted' }).where('id', '=', 'a').execute()
      // Another request's point read, while the transaction awaits:
      inside = reader.tryGet('select v from t where id = ?', ['a'])
    })
    assert.equal(inside, undefined, 'declined: the caller goes through Kysely and waits')
    assert.deepEqual(reader.tryGet('select v from t where id = ?', ['a']), {
      row: { v: 'uncommitted' },
    })
    raw.close()
  })

  it('refuses statements that write, and maps driver errors', async () => {
    const { raw, reader } = await open('errors.db')
    assert.throws(() => reader.tryGet("update t set v = 'x'", []), /read statements only/)
    assert.throws(() => reader.tryGet('select nope from t', []), /no such column/)
    assert.deepEqual(reader.tryGet('select v from t where id = ?', ['a']), {
      row: { v: 'committed' },
    })
    raw.close()
    assert.throws(
      () => reader.tryGet('select v from t where id = ?', ['a']),
      (e: unknown) => !(e instanceof AppError) && e instanceof Error,
    )
  })
})
