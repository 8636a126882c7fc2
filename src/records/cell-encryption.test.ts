import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { parseQueryOptions } from '../query/index.ts'
import { AppError, type ErrorCode } from '../shared/errors.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'

const fails = (code: ErrorCode, text?: RegExp) => (e: unknown) =>
  e instanceof AppError && e.code === code && (text === undefined || text.test(e.message))

describe('cell-level encryption (records)', () => {
  let f: RecordsFixture
  let actorId: string
  const raw = (table: string, id: string, column: string) =>
    f.databases.use(f.env, async (db) => {
      const row = await db
        .selectFrom(table)
        .select(column)
        .where(`${table}id`, '=', id)
        .executeTakeFirstOrThrow()
      return row[column]
    })
  const query = async (table: string, params: Record<string, string>) => {
    const def = await f.service.getTable(f.env, table)
    return f.service.queryRecords(f.env, table, parseQueryOptions(params, def))
  }

  before(async () => {
    f = await createRecordsFixture()
    actorId = f.ids.systemUserId
    await f.service.createTable(f.env, { name: 'new_person', ownership: 'user' })
    await f.service.addColumn(f.env, 'new_person', {
      name: 'new_nationalid',
      type: 'string',
      options: { maxLength: 20, encrypted: true, blindIndex: true },
    })
    await f.service.addColumn(f.env, 'new_person', {
      name: 'new_notes',
      type: 'memo',
      options: { encrypted: true },
    })
  })
  after(async () => {
    await f.close()
  })

  it('stores sealed blobs and reads plaintext back through retrieve, query and update', async () => {
    const id = await f.service.createRecord(
      f.env,
      'new_person',
      { name: 'Ada', new_nationalid: 'NI-AB-123', new_notes: 'prefers tea' },
      { actorId },
    )
    const stored = await raw('new_person', id, 'new_nationalid')
    assert.ok(stored instanceof Uint8Array)
    assert.equal(Buffer.from(stored).includes('NI-AB-123'), false)
    const hidden = await raw('new_person', id, '_bidx_new_nationalid')
    assert.ok(hidden instanceof Uint8Array && hidden.length === 32)
    const read = await f.service.retrieveRecord(f.env, 'new_person', id)
    assert.equal(read['new_nationalid'], 'NI-AB-123')
    assert.equal(read['new_notes'], 'prefers tea')
    assert.equal('_bidx_new_nationalid' in read, false)
    await f.service.updateRecord(f.env, 'new_person', id, { new_notes: 'coffee' }, { actorId })
    const listed = await query('new_person', { $select: 'new_notes,name' })
    assert.deepEqual(
      listed.records.map((r) => [r['name'], r['new_notes']]),
      [['Ada', 'coffee']],
    )
    await f.service.updateRecord(f.env, 'new_person', id, { new_notes: null }, { actorId })
    assert.equal((await f.service.retrieveRecord(f.env, 'new_person', id))['new_notes'], null)
  })

  it('applies maxLength to the plaintext', async () => {
    await assert.rejects(
      f.service.createRecord(f.env, 'new_person', { new_nationalid: 'x'.repeat(21) }, { actorId }),
      fails('RECORD_INVALID'),
    )
    const id = await f.service.createRecord(
      f.env,
      'new_person',
      { new_nationalid: 'y'.repeat(20) },
      { actorId },
    )
    assert.equal(
      (await f.service.retrieveRecord(f.env, 'new_person', id))['new_nationalid'],
      'y'.repeat(20),
    )
  })

  it('filters by eq through the blind index (case-insensitive), and by null', async () => {
    const id = await f.service.createRecord(
      f.env,
      'new_person',
      { name: 'Bob', new_nationalid: 'NI-XY-999' },
      { actorId },
    )
    for (const literal of ['NI-XY-999', 'ni-xy-999']) {
      const found = await query('new_person', { $filter: `new_nationalid eq '${literal}'` })
      assert.deepEqual(
        found.records.map((r) => r['new_personid']),
        [id],
      )
    }
    // The index is keyed: not an unkeyed hash of the value (which anyone could test guesses on).
    const hidden = await raw('new_person', id, '_bidx_new_nationalid')
    assert.ok(hidden instanceof Uint8Array)
    for (const text of ['NI-XY-999', 'ni-xy-999']) {
      const unkeyed = createHash('sha256').update(text).digest()
      assert.equal(Buffer.from(hidden).equals(unkeyed), false)
    }
    const none = await query('new_person', { $filter: "new_nationalid eq 'NI-XY-998'" })
    assert.equal(none.records.length, 0)
    const mirrored = await query('new_person', { $filter: "'NI-XY-999' eq new_nationalid" })
    assert.equal(mirrored.records.length, 1)
    const def = await f.service.getTable(f.env, 'new_person')
    const n = await f.service.countRecords(
      f.env,
      'new_person',
      parseQueryOptions({ $filter: "new_nationalid eq 'NI-XY-999' or new_notes eq null" }, def),
    )
    assert.ok(n >= 1)
    const nulls = await query('new_person', { $filter: 'new_notes ne null' })
    assert.ok(nulls.records.every((r) => r['new_notes'] !== null))
  })

  it('refuses every filter and sort that needs the plaintext', async () => {
    const def = await f.service.getTable(f.env, 'new_person')
    for (const params of [
      { $filter: "new_notes eq 'coffee'" }, // no blind index
      { $filter: "new_nationalid ne 'NI-XY-999'" },
      { $filter: "new_nationalid gt 'A'" },
      { $filter: "contains(new_nationalid,'XY')" },
      { $filter: "startswith(new_notes,'c')" },
      { $filter: 'new_nationalid eq name' },
      { $orderby: 'new_nationalid' },
      { $orderby: 'new_notes desc' },
    ]) {
      assert.throws(
        () => parseQueryOptions(params, def),
        fails('QUERY_ENCRYPTED_COLUMN', /is encrypted/),
        JSON.stringify(params),
      )
    }
  })

  it('refuses a cell copied to another row or column, never returning its plaintext', async () => {
    const a = await f.service.createRecord(
      f.env,
      'new_person',
      { name: 'A', new_nationalid: 'NI-A', new_notes: 'note A' },
      { actorId },
    )
    const b = await f.service.createRecord(
      f.env,
      'new_person',
      { name: 'B', new_nationalid: 'NI-B', new_notes: 'note B' },
      { actorId },
    )
    const cellOfA = await raw('new_person', a, 'new_nationalid')
    await f.databases.use(f.env, (db) =>
      db
        .updateTable('new_person')
        .set({ new_nationalid: cellOfA })
        .where('new_personid', '=', b)
        .execute(),
    )
    await assert.rejects(
      f.service.retrieveRecord(f.env, 'new_person', b),
      fails('DECRYPT_FAILED', /new_person\.new_nationalid in record/),
    )
    // The same blob in another column of the same row.
    await f.databases.use(f.env, (db) =>
      db
        .updateTable('new_person')
        .set({ new_notes: cellOfA })
        .where('new_personid', '=', a)
        .execute(),
    )
    await assert.rejects(
      f.service.retrieveRecord(f.env, 'new_person', a),
      fails('DECRYPT_FAILED', /new_person\.new_notes/),
    )
    // Not selecting the damaged column reads the rest: only selected columns are decrypted.
    const rest = await f.service.retrieveRecord(f.env, 'new_person', a, {
      select: ['name', 'new_nationalid'],
    })
    assert.equal(rest['new_nationalid'], 'NI-A')
  })

  it('refuses an empty, short or forged cell on every read path', async () => {
    // The point read selects cells as hex text, queries as blobs: both must refuse the same.
    // (The column is a STRICT BLOB: text or numbers can't be stored in it at all.)
    const forged = new Uint8Array(60).fill(1)
    for (const bad of [new Uint8Array(0), new Uint8Array(28), forged]) {
      const id = await f.service.createRecord(
        f.env,
        'new_person',
        { name: 'Damaged', new_notes: 'kept' },
        { actorId },
      )
      await f.databases.use(f.env, (db) =>
        db
          .updateTable('new_person')
          .set({ new_notes: bad })
          .where('new_personid', '=', id)
          .execute(),
      )
      await assert.rejects(
        f.service.retrieveRecord(f.env, 'new_person', id),
        fails('DECRYPT_FAILED', /new_person\.new_notes in record/),
        String(bad),
      )
      await assert.rejects(
        query('new_person', { $select: 'new_notes', $filter: `new_personid eq ${id}` }),
        fails('DECRYPT_FAILED'),
        String(bad),
      )
      await f.service.deleteRecord(f.env, 'new_person', id, { actorId })
    }
  })

  it('refuses to encrypt what the platform must read, and non-text types', async () => {
    await assert.rejects(
      f.service.addColumn(f.env, 'new_person', {
        name: 'new_age',
        type: 'wholenumber',
        options: { encrypted: true },
      }),
      fails('VALIDATION'),
    )
    await assert.rejects(
      f.service.addColumn(f.env, 'new_person', {
        name: 'new_plain',
        type: 'string',
        options: { blindIndex: true },
      }),
      fails('VALIDATION', /blind index needs an encrypted column/),
    )
    for (const [table, column] of [
      ['new_person', 'name'],
      ['new_person', 'createdon'],
      ['contact', 'firstname'],
      ['systemuser', 'fullname'],
    ] as const) {
      await assert.rejects(
        f.service.setColumnEncryption(f.env, table, column, { encrypted: true }),
        fails('VALIDATION', /can't be encrypted/),
        `${table}.${column}`,
      )
    }
  })
})

describe('marking an existing column encrypted', () => {
  let f: RecordsFixture
  let actorId: string
  before(async () => {
    f = await createRecordsFixture()
    actorId = f.ids.systemUserId
  })
  after(async () => {
    await f.close()
  })

  it('seals every stored value in place, keeps versions, and is one-way', async () => {
    await f.service.addColumn(f.env, 'account', { name: 'new_taxid', type: 'string' })
    const ids: string[] = []
    for (let i = 0; i < 1203; i++) {
      ids.push(
        await f.service.createRecord(
          f.env,
          'account',
          { name: `acct ${i}`, new_taxid: i % 7 === 0 ? null : `TAX-${i}` },
          { actorId },
        ),
      )
    }
    const before = await f.service.retrieveRecord(f.env, 'account', ids[8] ?? '')
    const result = await f.service.setColumnEncryption(f.env, 'account', 'new_taxid', {
      encrypted: true,
    })
    assert.equal(result.changed, true)
    assert.equal(result.values, 1203 - Math.ceil(1203 / 7))
    assert.deepEqual(result.column.options, { maxLength: 100, encrypted: true })
    const after = await f.service.retrieveRecord(f.env, 'account', ids[8] ?? '')
    assert.deepEqual(after, before)
    assert.equal(
      (await f.service.retrieveRecord(f.env, 'account', ids[7] ?? ''))['new_taxid'],
      null,
    )
    const stored = await f.databases.use(f.env, (db) =>
      db.selectFrom('account').select('new_taxid').where('new_taxid', 'is not', null).execute(),
    )
    assert.equal(stored.length, result.values)
    assert.ok(stored.every((r) => r['new_taxid'] instanceof Uint8Array))
    // Writes after the marking are sealed too.
    await f.service.updateRecord(
      f.env,
      'account',
      ids[7] ?? '',
      { new_taxid: 'TAX-new' },
      { actorId },
    )
    assert.equal(
      (await f.service.retrieveRecord(f.env, 'account', ids[7] ?? ''))['new_taxid'],
      'TAX-new',
    )

    // Idempotent; unmarking is refused; filtering needs a blind index until one is added.
    const again = await f.service.setColumnEncryption(f.env, 'account', 'new_taxid', {
      encrypted: true,
    })
    assert.equal(again.changed, false)
    await assert.rejects(
      f.service.setColumnEncryption(f.env, 'account', 'new_taxid', { encrypted: false }),
      fails('COLUMN_ENCRYPTION_IRREVERSIBLE', /one-way/),
    )
    const def = await f.service.getTable(f.env, 'account')
    assert.throws(
      () => parseQueryOptions({ $filter: "new_taxid eq 'TAX-8'" }, def),
      fails('QUERY_ENCRYPTED_COLUMN'),
    )
    const indexed = await f.service.setColumnEncryption(f.env, 'account', 'new_taxid', {
      encrypted: true,
      blindIndex: true,
    })
    assert.equal(indexed.changed, true)
    assert.equal(indexed.values, result.values + 1)
    const def2 = await f.service.getTable(f.env, 'account')
    const found = await f.service.queryRecords(
      f.env,
      'account',
      parseQueryOptions({ $filter: "new_taxid eq 'tax-8'", $select: 'name' }, def2),
    )
    assert.deepEqual(
      found.records.map((r) => r['name']),
      ['acct 8'],
    )
  })

  it('leaves a plaintext column alone when asked to keep it unencrypted', async () => {
    const r = await f.service.setColumnEncryption(f.env, 'account', 'description', {
      encrypted: false,
    })
    assert.equal(r.changed, false)
    assert.equal(r.column.options.encrypted, undefined)
  })

  it('rolls back entirely when a cell is damaged while adding a blind index', async () => {
    await f.service.addColumn(f.env, 'account', {
      name: 'new_secret',
      type: 'string',
      options: { encrypted: true },
    })
    const a = await f.service.createRecord(f.env, 'account', { new_secret: 'one' }, { actorId })
    const b = await f.service.createRecord(f.env, 'account', { new_secret: 'two' }, { actorId })
    await f.databases.use(f.env, async (db) => {
      const row = await db
        .selectFrom('account')
        .select('new_secret')
        .where('accountid', '=', a)
        .executeTakeFirstOrThrow()
      await db
        .updateTable('account')
        .set({ new_secret: row['new_secret'] })
        .where('accountid', '=', b)
        .execute()
    })
    await assert.rejects(
      f.service.setColumnEncryption(f.env, 'account', 'new_secret', {
        encrypted: true,
        blindIndex: true,
      }),
      fails('DECRYPT_FAILED'),
    )
    const def = await f.service.getTable(f.env, 'account')
    assert.equal(def.columns.find((c) => c.name === 'new_secret')?.options.blindIndex, undefined)
  })
})
