import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import type { AppError } from '../shared/errors.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'
import { createRecordsService } from './records-service.ts'

const hasCode = (code: string, path?: string) => (e: AppError) => {
  assert.equal(e.code, code)
  if (path !== undefined) assert.equal(e.details[0]?.path, path)
  return true
}

describe('alternate keys (createKey, deleteKey, findRecordIdByKey)', () => {
  let f: RecordsFixture
  const actor = () => ({ actorId: f.ids.systemUserId })
  const indexes = (table: string) =>
    f.databases.use(f.env, async (db) => {
      const { rows } = await sql<{
        name: string
      }>`select name from sqlite_master where type = 'index' and tbl_name = ${table} and name like '\\_key.%' escape '\\'`.execute(
        db,
      )
      return rows.map((r) => r.name)
    })
  before(async () => {
    f = await createRecordsFixture()
    await f.service.addColumn(f.env, 'contact', {
      name: 'employeeno',
      type: 'wholenumber',
    })
  })
  after(async () => {
    await f.close()
  })

  it('creates a key: metadata, a UNIQUE index, and lookups by its values', async () => {
    const key = await f.service.createKey(f.env, 'account', {
      name: 'accountnumberkey',
      columns: ['accountnumber'],
    })
    assert.deepEqual(key, {
      name: 'accountnumberkey',
      displayName: 'Accountnumberkey',
      columns: ['accountnumber'],
    })
    const table = await f.service.getTable(f.env, 'accounts')
    assert.deepEqual(table.keys, [key])
    assert.deepEqual(await indexes('account'), ['_key.account.accountnumberkey'])
    const id = await f.service.createRecord(
      f.env,
      'account',
      { name: 'A', accountnumber: 'A-1' },
      actor(),
    )
    assert.equal(await f.service.findRecordIdByKey(f.env, 'account', { accountnumber: 'A-1' }), id)
    // Exact match: another case is another value (see docs/api-compatibility.md).
    assert.equal(
      await f.service.findRecordIdByKey(f.env, 'account', { accountnumber: 'a-1' }),
      undefined,
    )
    // A second process sees the key at its next call (the schema cookie moved).
    const second = createRecordsService({
      databases: f.openDatabases(),
      clock: f.clock,
      random: { bytes: () => new Uint8Array(), uuid: () => '' },
    })
    assert.deepEqual((await second.getTable(f.env, 'account')).keys, [key])
  })

  it('refuses duplicate key values on create and update with RECORD_DUPLICATE', async () => {
    await assert.rejects(
      f.service.createRecord(f.env, 'account', { name: 'B', accountnumber: 'A-1' }, actor()),
      (e: AppError) => {
        assert.equal(e.code, 'RECORD_DUPLICATE')
        assert.equal(e.spec.wire, '0x80040237')
        assert.match(e.message, /matching key values already exists \(account: accountnumber\)/)
        assert.ok(!e.message.includes('A-1'))
        return true
      },
    )
    const other = await f.service.createRecord(
      f.env,
      'account',
      { name: 'B', accountnumber: 'B-1' },
      actor(),
    )
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', other, { accountnumber: 'A-1' }, actor()),
      hasCode('RECORD_DUPLICATE', 'accountnumber'),
    )
    // Nulls are not constrained: any number of records may leave the key empty.
    for (const name of ['N1', 'N2']) {
      await f.service.createRecord(f.env, 'account', { name }, actor())
    }
    await assert.rejects(
      f.service.findRecordIdByKey(f.env, 'account', { accountnumber: null }),
      hasCode('VALIDATION', 'accountnumber'),
    )
  })

  it('keeps a unit of work usable after a duplicate: only that write is undone', async () => {
    const kept = await f.service.transaction(f.env, async (tx) => {
      await assert.rejects(
        tx.createRecord(f.env, 'account', { name: 'T', accountnumber: 'A-1' }, actor()),
        hasCode('RECORD_DUPLICATE'),
      )
      return tx.createRecord(f.env, 'account', { name: 'T', accountnumber: 'T-1' }, actor())
    })
    assert.equal(
      await f.service.findRecordIdByKey(f.env, 'account', { accountnumber: 'T-1' }),
      kept,
    )
  })

  it('compound keys match only on all their columns, in any order', async () => {
    await f.service.createKey(f.env, 'contact', {
      name: 'namekey',
      displayName: 'Name and number',
      columns: ['lastname', 'employeeno'],
    })
    const id = await f.service.createRecord(
      f.env,
      'contact',
      { lastname: 'Smith', employeeno: 7 },
      actor(),
    )
    await f.service.createRecord(f.env, 'contact', { lastname: 'Smith', employeeno: 8 }, actor())
    assert.equal(
      await f.service.findRecordIdByKey(f.env, 'contact', { employeeno: 7, lastname: 'Smith' }),
      id,
    )
    await assert.rejects(
      f.service.findRecordIdByKey(f.env, 'contact', { lastname: 'Smith' }),
      hasCode('ALTERNATE_KEY_UNDEFINED'),
    )
    await assert.rejects(
      f.service.findRecordIdByKey(f.env, 'contact', { lastname: 'Smith', employeeno: 'x' }),
      hasCode('RECORD_INVALID', 'employeeno'),
    )
    await assert.rejects(
      f.service.createRecord(f.env, 'contact', { lastname: 'Smith', employeeno: 7 }, actor()),
      hasCode('RECORD_DUPLICATE', 'lastname,employeeno'),
    )
  })

  it('refuses bad definitions', async () => {
    const bad: [Parameters<typeof f.service.createKey>[2], string, string?][] = [
      [{ name: 'Bad-Name', columns: ['telephone1'] }, 'NAME_INVALID'],
      [{ name: 'k', columns: [] }, 'VALIDATION', 'columns'],
      [{ name: 'k', columns: Array.from({ length: 17 }, () => 'name') }, 'VALIDATION', 'columns'],
      [{ name: 'k', columns: ['name', 'name'] }, 'VALIDATION', 'columns'],
      [{ name: 'k', columns: ['nosuch'] }, 'COLUMN_NOT_FOUND'],
      [{ name: 'k', columns: ['description'] }, 'VALIDATION', 'columns.0'],
      [{ name: 'k', columns: ['donotemail'] }, 'VALIDATION', 'columns.0'],
      [{ name: 'k', columns: ['name', 'createdon'] }, 'VALIDATION', 'columns.1'],
      [{ name: 'k', columns: ['accountid'] }, 'VALIDATION', 'columns.0'],
      [{ name: 'accountnumberkey', columns: ['telephone1'] }, 'ALREADY_EXISTS', 'key name'],
      [{ name: 'other', columns: ['accountnumber'] }, 'ALREADY_EXISTS', 'columns'],
    ]
    for (const [input, code, path] of bad) {
      await assert.rejects(f.service.createKey(f.env, 'account', input), hasCode(code, path))
    }
    await assert.rejects(
      f.service.createKey(f.env, 'nosuch', { name: 'k', columns: ['x'] }),
      hasCode('TABLE_NOT_FOUND'),
    )
  })

  it('keeps keys and encrypted columns apart: neither can take the other', async () => {
    // A key over sealed (randomised) cells would enforce nothing and find nothing.
    await f.service.addColumn(f.env, 'account', {
      name: 'new_secretno',
      type: 'string',
      options: { encrypted: true },
    })
    await assert.rejects(
      f.service.createKey(f.env, 'account', { name: 'secretkey', columns: ['new_secretno'] }),
      hasCode('VALIDATION', 'columns.0'),
    )
    // …and a column of a key can't be encrypted afterwards.
    await f.service.addColumn(f.env, 'account', { name: 'new_plainno', type: 'string' })
    await f.service.createKey(f.env, 'account', { name: 'plainkey', columns: ['new_plainno'] })
    await assert.rejects(
      f.service.setColumnEncryption(f.env, 'account', 'new_plainno', { encrypted: true }),
      (e: AppError) =>
        e.code === 'VALIDATION' && /alternate key/.test(e.message + JSON.stringify(e.details)),
    )
    await f.service.deleteKey(f.env, 'account', 'plainkey')
  })

  it('refuses a key the existing records violate, leaving no row and no index behind', async () => {
    for (const name of ['Dup', 'Dup']) {
      await f.service.createRecord(f.env, 'account', { name, telephone1: '555' }, actor())
    }
    await assert.rejects(
      f.service.createKey(f.env, 'account', { name: 'phonekey', columns: ['telephone1'] }),
      (e: AppError) => {
        assert.equal(e.code, 'RECORD_DUPLICATE')
        assert.match(e.message, /already share values of telephone1/)
        return true
      },
    )
    const table = await f.service.getTable(f.env, 'account')
    assert.deepEqual(
      table.keys?.map((k) => k.name),
      ['accountnumberkey'],
    )
    assert.deepEqual(await indexes('account'), ['_key.account.accountnumberkey'])
  })

  it('deletes a key: its index goes, the values may repeat again', async () => {
    await assert.rejects(
      f.service.deleteKey(f.env, 'account', 'nosuch'),
      hasCode('ALTERNATE_KEY_NOT_FOUND'),
    )
    await f.service.deleteKey(f.env, 'account', 'accountnumberkey')
    assert.equal((await f.service.getTable(f.env, 'account')).keys, undefined)
    assert.deepEqual(await indexes('account'), [])
    await f.service.createRecord(f.env, 'account', { name: 'C', accountnumber: 'A-1' }, actor())
    await assert.rejects(
      f.service.findRecordIdByKey(f.env, 'account', { accountnumber: 'A-1' }),
      hasCode('ALTERNATE_KEY_UNDEFINED'),
    )
  })
})
