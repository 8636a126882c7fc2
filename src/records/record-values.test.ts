import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'
import type { AddColumnInput } from './add-column.ts'

const CHOICES = [1, 2, 3, 7, 100000000].map((value) => ({ value, label: `Option ${value}` }))

const COLUMNS: readonly AddColumnInput[] = [
  { name: 'c_string', type: 'string', options: { maxLength: 50 } },
  { name: 'c_memo', type: 'memo' },
  { name: 'c_whole', type: 'wholenumber' },
  { name: 'c_big', type: 'bigint' },
  { name: 'c_float', type: 'float', options: { precision: 3 } },
  { name: 'c_decimal', type: 'decimal', options: { precision: 4 } },
  { name: 'c_currency', type: 'currency' },
  { name: 'c_bool', type: 'boolean' },
  { name: 'c_datetime', type: 'datetime' },
  { name: 'c_date', type: 'datetime', options: { format: 'dateonly' } },
  { name: 'c_choice', type: 'choice', options: { choices: CHOICES } },
  { name: 'c_choices', type: 'choices', options: { choices: CHOICES } },
  { name: 'c_lookup', type: 'lookup', options: { targets: ['account'] } },
  { name: 'c_guid', type: 'uniqueidentifier' },
]

/** Decimal text with at most `digits` fraction digits, as a number. */
const scaledNumber = (maxWhole: number, digits: number) =>
  fc
    .tuple(
      fc.integer({ min: -maxWhole, max: maxWhole }),
      fc.integer({ min: 0, max: 10 ** digits - 1 }),
    )
    .map(([whole, frac]) => {
      const text = `${whole < 0 ? '-' : ''}${Math.abs(whole)}.${String(frac).padStart(digits, '0')}`
      return Number(text)
    })
    .filter((n) => !Object.is(n, -0))

describe('record values through the database', () => {
  let f: RecordsFixture
  let accountId: string
  const actorId = (): string => f.ids.systemUserId
  before(async () => {
    f = await createRecordsFixture()
    await f.service.createTable(f.env, { name: 'new_sample', ownership: 'user' })
    for (const c of COLUMNS) await f.service.addColumn(f.env, 'new_sample', c)
    accountId = await f.service.createRecord(
      f.env,
      'account',
      { name: 'A' },
      { actorId: actorId() },
    )
  })
  after(async () => {
    await f.close()
  })

  const roundTrip = async (data: Record<string, unknown>) => {
    const id = await f.service.createRecord(f.env, 'new_sample', data, { actorId: actorId() })
    return f.service.retrieveRecord(f.env, 'new_sample', id, { select: Object.keys(data) })
  }

  it('stores each type in its documented encoding', async () => {
    const id = await f.service.createRecord(
      f.env,
      'new_sample',
      {
        c_decimal: 1.23456,
        c_currency: 19.999,
        c_bool: true,
        c_datetime: '2024-05-06T07:08:09.5+02:00',
        c_choices: '7,1',
        c_big: '9223372036854775807',
        c_lookup: accountId.toUpperCase(),
      },
      { actorId: actorId() },
    )
    await f.databases.use(f.env, async (db) => {
      const row = await db
        .selectFrom('new_sample')
        .select([
          'c_decimal',
          'c_currency',
          'c_bool',
          'c_datetime',
          'c_choices',
          'c_big',
          'c_lookup',
        ])
        .where('new_sampleid', '=', id)
        .executeTakeFirstOrThrow()
      assert.deepEqual(row, {
        c_decimal: 12346n,
        c_currency: 2000n,
        c_bool: 1n,
        c_datetime: '2024-05-06T05:08:09Z',
        c_choices: '1,7',
        c_big: 9223372036854775807n,
        c_lookup: accountId,
      })
    })
  })

  it('round-trips exact values of every type', async () => {
    const data = {
      c_string: 'Ünïcødé ✓',
      c_memo: 'line 1\nline 2',
      c_whole: -2147483648,
      c_big: '-9223372036854775808',
      c_float: 3.125,
      c_decimal: 123456.7891,
      c_currency: -922337203685477,
      c_bool: false,
      c_datetime: '1753-01-01T00:00:00Z',
      c_date: '9999-12-31',
      c_choice: 100000000,
      c_choices: '1,2,3',
      c_lookup: accountId,
      c_guid: '00000000-0000-0000-0000-000000000000',
    }
    const record = await roundTrip(data)
    for (const [k, v] of Object.entries(data)) assert.deepEqual(record[k], v, k)
  })

  it('property: random valid values round-trip through storage', async () => {
    const guid = fc.uuid().map((u) => u.toLowerCase())
    const record = fc.record(
      {
        c_string: fc.string({ maxLength: 50 }),
        c_memo: fc.string({ maxLength: 2000, unit: 'binary' }),
        c_whole: fc.integer({ min: -2147483648, max: 2147483647 }),
        c_big: fc
          .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
          .map((b) => (Number.isSafeInteger(Number(b)) ? Number(b) : b.toString())),
        c_float: scaledNumber(99_999_999, 3),
        c_decimal: scaledNumber(99_999_999, 4),
        c_currency: scaledNumber(999_999_999_999, 2),
        c_bool: fc.boolean(),
        c_datetime: fc
          .date({
            min: new Date('1753-01-01T00:00:00Z'),
            max: new Date('9999-12-31T23:59:59Z'),
            noInvalidDate: true,
          })
          .map((d) => `${d.toISOString().slice(0, 19)}Z`),
        c_date: fc
          .date({
            min: new Date('1753-01-01T00:00:00Z'),
            max: new Date('9999-12-31T00:00:00Z'),
            noInvalidDate: true,
          })
          .map((d) => d.toISOString().slice(0, 10)),
        c_choice: fc.constantFrom(...CHOICES.map((c) => c.value)),
        c_choices: fc
          .uniqueArray(fc.constantFrom(...CHOICES.map((c) => c.value)), { minLength: 1 })
          .map((list) => [...list].sort((a, b) => a - b).join(',')),
        c_guid: guid,
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(record, async (data) => {
        const stored = await roundTrip(data)
        for (const [k, v] of Object.entries(data)) assert.deepEqual(stored[k], v, k)
      }),
      { numRuns: 200 },
    )
  })

  it('property: any JSON value is either stored or refused with RECORD_INVALID for that column', async () => {
    const columns = COLUMNS.filter((c) => c.type !== 'lookup').map((c) => c.name)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...columns), fc.jsonValue(), async (name, value) => {
        try {
          await f.service.createRecord(
            f.env,
            'new_sample',
            { [name]: value },
            { actorId: actorId() },
          )
        } catch (e) {
          assert.equal((e as { code?: string }).code, 'RECORD_INVALID')
          assert.equal((e as { details: { path: string }[] }).details[0]?.path, name)
        }
      }),
      { numRuns: 300 },
    )
  })
})
