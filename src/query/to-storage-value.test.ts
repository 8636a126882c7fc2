import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ColumnDef } from '../records/model.ts'
import { AppError } from '../shared/errors.ts'
import type { Literal } from './filter-ast.ts'
import { ACCOUNT } from './sample-table.test.ts'
import { scaleDecimal } from './scale-decimal.ts'
import { storageScale, toStorageValue } from './to-storage-value.ts'

const col = (name: string): ColumnDef => {
  const found = ACCOUNT.columns.find((c) => c.name === name)
  if (found === undefined) throw new RangeError(name)
  return found
}
const num = (text: string): Literal => ({ kind: 'number', text })
const invalid = (e: unknown): boolean => e instanceof AppError && e.code === 'QUERY_INVALID'

describe('toStorageValue', () => {
  it('stores text as given and GUIDs lower-case', () => {
    assert.equal(toStorageValue(col('name'), { kind: 'string', value: 'Ab' }), 'Ab')
    assert.equal(
      toStorageValue(col('parentaccountid'), {
        kind: 'guid',
        value: 'ABCDEF01-0000-4000-8000-000000000000',
      }),
      'abcdef01-0000-4000-8000-000000000000',
    )
  })

  it('scales decimal and currency exactly by their precision', () => {
    assert.equal(toStorageValue(col('revenue'), num('10.5')), 1050)
    assert.equal(toStorageValue(col('revenue'), num('0.07')), 7)
    assert.equal(toStorageValue(col('revenue'), num('-0.07')), -7)
    assert.equal(toStorageValue(col('price'), num('1.2345')), 12345)
    assert.equal(toStorageValue(col('ratio'), num('1e2')), 10000)
    assert.equal(toStorageValue(col('revenue'), num('10.555')), 1055.5)
    assert.equal(toStorageValue(col('revenue'), num('-10.555')), -1055.5)
    assert.equal(storageScale(col('ratio')), 2)
    assert.equal(storageScale(col('price')), 4)
    assert.equal(storageScale(col('employees')), 0)
  })

  it('keeps integers beyond 2^53 exact as bigint and rejects beyond 64 bits', () => {
    assert.equal(toStorageValue(col('bignumber'), num('9007199254740993')), 9007199254740993n)
    assert.equal(toStorageValue(col('bignumber'), num('9007199254740991')), 9007199254740991)
    assert.equal(toStorageValue(col('bignumber'), num('-9223372036854775808')), -(2n ** 63n))
    assert.throws(() => toStorageValue(col('bignumber'), num('9223372036854775808')), invalid)
    assert.throws(() => toStorageValue(col('employees'), num('1e41')), invalid)
  })

  it('maps booleans, floats, choices and null', () => {
    assert.equal(toStorageValue(col('isactive'), { kind: 'boolean', value: true }), 1)
    assert.equal(toStorageValue(col('isactive'), { kind: 'boolean', value: false }), 0)
    assert.equal(toStorageValue(col('score'), num('2.5e-1')), 0.25)
    assert.equal(toStorageValue(col('category'), num('2')), 2)
    assert.equal(toStorageValue(col('tags'), { kind: 'string', value: '1,3,5' }), '1,3,5')
    assert.equal(toStorageValue(col('name'), { kind: 'null' }), null)
    assert.throws(() => toStorageValue(col('category'), num('1.5')), invalid)
    assert.throws(() => toStorageValue(col('score'), num('1e999')), invalid)
    assert.throws(() => toStorageValue(col('tags'), { kind: 'string', value: '1;3' }), invalid)
  })

  it('normalises datetimes to whole UTC seconds and dates to the column format', () => {
    const createdon = col('createdon')
    const birthday = col('birthday')
    const dt = (value: string): Literal => ({ kind: 'datetime', value })
    const d = (value: string): Literal => ({ kind: 'date', value })
    assert.equal(toStorageValue(createdon, dt('2024-01-31T10:00:00Z')), '2024-01-31T10:00:00Z')
    assert.equal(toStorageValue(createdon, dt('2024-01-31T10:00:00.9Z')), '2024-01-31T10:00:00Z')
    assert.equal(toStorageValue(createdon, d('2024-01-31')), '2024-01-31T00:00:00Z')
    assert.equal(toStorageValue(birthday, d('2024-01-31')), '2024-01-31')
    assert.equal(toStorageValue(birthday, dt('2024-01-31T00:00:00Z')), '2024-01-31')
    assert.throws(() => toStorageValue(birthday, dt('2024-01-31T00:00:01Z')), invalid)
  })

  it('rejects every type mismatch', () => {
    const literals: Literal[] = [
      { kind: 'string', value: '1' },
      num('1'),
      { kind: 'boolean', value: true },
      { kind: 'guid', value: '00000000-0000-4000-8000-000000000001' },
      { kind: 'date', value: '2024-01-31' },
    ]
    const accepted = (c: ColumnDef, l: Literal): boolean => {
      try {
        toStorageValue(c, l)
        return true
      } catch (e) {
        assert.ok(invalid(e))
        return false
      }
    }
    const table = Object.fromEntries(
      ACCOUNT.columns.map((c) => [
        c.name,
        literals.filter((l) => accepted(c, l)).map((l) => l.kind),
      ]),
    )
    assert.deepEqual(table, {
      accountid: ['guid'],
      name: ['string'],
      description: ['string'],
      employees: ['number'],
      bignumber: ['number'],
      revenue: ['number'],
      price: ['number'],
      ratio: ['number'],
      score: ['number'],
      isactive: ['boolean'],
      createdon: ['date'],
      birthday: ['date'],
      category: ['number'],
      tags: ['string'],
      parentaccountid: ['guid'],
      ownerid: ['guid'],
    })
  })
})

describe('scaleDecimal', () => {
  it('handles zeros, leading zeros and exponents', () => {
    assert.equal(scaleDecimal('0', 2), 0)
    assert.equal(scaleDecimal('-0.000', 4), 0)
    assert.equal(scaleDecimal('007.50', 2), 750)
    assert.equal(scaleDecimal('1.5E+1', 0), 15)
    assert.equal(scaleDecimal('15e-1', 0), 1.5)
    assert.equal(scaleDecimal('0.001', 2), 0.5)
    assert.equal(scaleDecimal('-0.001', 2), -0.5)
    assert.throws(() => scaleDecimal('abc', 2), invalid)
  })
})
