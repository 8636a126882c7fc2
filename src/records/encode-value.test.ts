import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isAppError } from '../shared/errors.ts'
import { decodeValue } from './decode-value.ts'
import { encodeValue } from './encode-value.ts'
import { column } from './internal/column-builders.ts'
import type { ColumnDef, ColumnOptions, ColumnType } from './model.ts'

const col = (type: ColumnType, options: ColumnOptions = {}): ColumnDef =>
  column('c', type, 'C', options)

const roundTrip = (c: ColumnDef, value: unknown): unknown => decodeValue(c, encodeValue(c, value))

/** Asserts RECORD_INVALID naming the column. */
function assertInvalid(c: ColumnDef, value: unknown): void {
  try {
    encodeValue(c, value)
  } catch (e) {
    assert.ok(isAppError(e))
    assert.equal(e.code, 'RECORD_INVALID')
    assert.equal(e.details[0]?.path, 'c')
    return
  }
  assert.fail(`accepted ${String(value)} for ${c.type}`)
}

const CHOICES = { choices: [1, 3, 5, 100000000].map((value) => ({ value, label: `v${value}` })) }

describe('encodeValue / decodeValue', () => {
  it('never echoes the rejected value', () => {
    const canary = 'CANARY-7f3e-do-not-echo'
    for (const type of ['string', 'wholenumber', 'datetime', 'lookup', 'choices'] as const) {
      try {
        encodeValue(col(type, { maxLength: 3, ...CHOICES }), canary)
        assert.fail('accepted')
      } catch (e) {
        assert.ok(isAppError(e))
        assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes(canary))
      }
    }
  })

  it('null passes through every type', () => {
    for (const type of ['string', 'bigint', 'lookup', 'boolean'] as const) {
      assert.equal(encodeValue(col(type), null), null)
      assert.equal(decodeValue(col(type), null), null)
    }
  })

  it('string and memo: length limits', () => {
    assert.equal(roundTrip(col('string'), 'héllo'), 'héllo')
    assert.equal(roundTrip(col('string'), 'x'.repeat(100)), 'x'.repeat(100))
    assertInvalid(col('string'), 'x'.repeat(101))
    assertInvalid(col('string', { maxLength: 5 }), 'abcdef')
    assert.equal(roundTrip(col('memo'), 'y'.repeat(2000)), 'y'.repeat(2000))
    assertInvalid(col('memo'), 'y'.repeat(2001))
    for (const bad of [1, true, {}, [], undefined]) assertInvalid(col('string'), bad)
  })

  it('wholenumber: 32-bit range, integers only', () => {
    const c = col('wholenumber')
    assert.equal(encodeValue(c, 42), 42n)
    assert.equal(roundTrip(c, -2147483648), -2147483648)
    assert.equal(roundTrip(c, 2147483647), 2147483647)
    for (const bad of [2147483648, -2147483649, 1.5, NaN, Infinity, '1', true]) {
      assertInvalid(c, bad)
    }
    assertInvalid(col('wholenumber', { minValue: 0, maxValue: 10 }), 11)
  })

  it('bigint: safe integers, decimal strings, beyond 2^53 as a string', () => {
    const c = col('bigint')
    assert.equal(roundTrip(c, 9007199254740991), 9007199254740991)
    assert.equal(roundTrip(c, '123'), 123)
    assert.equal(roundTrip(c, '9007199254740993'), '9007199254740993')
    assert.equal(roundTrip(c, '9223372036854775807'), '9223372036854775807')
    assert.equal(roundTrip(c, '-9223372036854775808'), '-9223372036854775808')
    for (const bad of ['9223372036854775808', 9007199254740992, 1.5, '1.0', '1e3', 'x', NaN]) {
      assertInvalid(c, bad)
    }
  })

  it('float: rounded to precision, range ±1e11, finite only', () => {
    const c = col('float')
    assert.equal(roundTrip(c, 1.25), 1.25)
    assert.equal(roundTrip(c, 1.005), 1.01)
    assert.equal(roundTrip(c, -1.005), -1.01)
    assert.equal(roundTrip(col('float', { precision: 5 }), 0.123456), 0.12346)
    assert.equal(roundTrip(c, 100000000000), 100000000000)
    for (const bad of [100000000000.01, -1e12, NaN, Infinity, -Infinity, '1']) assertInvalid(c, bad)
  })

  it('decimal: scaled integer storage, half away from zero, exact', () => {
    const c = col('decimal')
    assert.equal(encodeValue(c, 123.45), 12345n)
    assert.equal(encodeValue(c, 0.07), 7n)
    assert.equal(encodeValue(c, 2.675), 268n)
    assert.equal(encodeValue(c, -2.675), -268n)
    assert.equal(encodeValue(c, 0.004), 0n)
    assert.equal(encodeValue(c, 1e-7), 0n)
    assert.equal(roundTrip(c, 2.675), 2.68)
    assert.equal(roundTrip(c, '12.345'), 12.35)
    const p10 = col('decimal', { precision: 10 })
    assert.equal(encodeValue(p10, 0.1234567891), 1234567891n)
    assert.equal(roundTrip(p10, 0.12345678905), 0.1234567891)
    // ±1e11 at precision 10 would overflow int64: the bound is int64 then.
    assertInvalid(p10, 100000000000)
    assert.equal(roundTrip(col('decimal'), 100000000000), 100000000000)
    for (const bad of [100000000000.01, NaN, Infinity, 'abc', '1,5', true, ''])
      assertInvalid(c, bad)
  })

  it('currency: precision 0-4, range ±922,337,203,685,477', () => {
    const c = col('currency', { precision: 4 })
    assert.equal(encodeValue(c, 19.99), 199900n)
    assert.equal(encodeValue(c, '922337203685476.9999'), 9223372036854769999n)
    assertInvalid(c, '922337203685477.5807')
    assert.equal(roundTrip(c, -0.00005), -0.0001)
    assert.equal(roundTrip(col('currency'), 922337203685477), 922337203685477)
    assertInvalid(col('currency'), 922337203685478)
    assertInvalid(col('currency', { minValue: 0 }), -1)
  })

  it('boolean: JSON true/false only', () => {
    const c = col('boolean')
    assert.equal(encodeValue(c, true), 1n)
    assert.equal(roundTrip(c, false), false)
    for (const bad of [0, 1, 'true', 'false']) assertInvalid(c, bad)
  })

  it('datetime: normalised to UTC seconds, offsets applied, milliseconds dropped', () => {
    const c = col('datetime')
    assert.equal(roundTrip(c, '2024-02-29T12:30:45Z'), '2024-02-29T12:30:45Z')
    assert.equal(roundTrip(c, '2024-02-29T12:30:45.999Z'), '2024-02-29T12:30:45Z')
    assert.equal(roundTrip(c, '2024-03-01T01:00:00+02:00'), '2024-02-29T23:00:00Z')
    assert.equal(roundTrip(c, '2024-12-31T22:00:00-05:30'), '2025-01-01T03:30:00Z')
    assert.equal(roundTrip(c, '2024-06-01T08:15+0100'), '2024-06-01T07:15:00Z')
    assert.equal(roundTrip(c, '2024-06-01t08:15:00z'), '2024-06-01T08:15:00Z')
    for (const bad of [
      '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:00:00',
      '2024-01-01',
      '1700-01-01T00:00:00Z',
      '1753-01-01T00:30:00+01:00',
      'yesterday',
      1700000000000,
    ]) {
      assertInvalid(c, bad)
    }
  })

  it('datetime dateonly: YYYY-MM-DD', () => {
    const c = col('datetime', { format: 'dateonly' })
    assert.equal(roundTrip(c, '2000-02-29'), '2000-02-29')
    for (const bad of ['1900-02-29', '2024-13-01', '2024-01-01T00:00:00Z', '24-01-01', '']) {
      assertInvalid(c, bad)
    }
  })

  it('choice: one of the values', () => {
    const c = col('choice', CHOICES)
    assert.equal(roundTrip(c, 100000000), 100000000)
    for (const bad of [2, 1.5, '1', NaN]) assertInvalid(c, bad)
  })

  it('choices: sorted unique string of values', () => {
    const c = col('choices', CHOICES)
    assert.equal(encodeValue(c, '5,1,3'), '1,3,5')
    assert.equal(roundTrip(c, ' 5 , 1,5 '), '1,5')
    assert.equal(encodeValue(c, ''), null)
    for (const bad of ['1,2', [1, 3], 1, '1;3', '1,,3', '-1', 'a']) assertInvalid(c, bad)
  })

  it('lookup and uniqueidentifier: lower-case GUID, braces removed', () => {
    for (const type of ['lookup', 'uniqueidentifier'] as const) {
      const c = col(type)
      assert.equal(
        roundTrip(c, '{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}'),
        '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
      )
      for (const bad of ['0a1b2c3d4e5f60718293a4b5c6d7e8f9x', 'not-a-guid', 42, '']) {
        assertInvalid(c, bad)
      }
    }
  })
})
