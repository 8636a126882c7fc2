import { isGuid } from '../shared/ids.ts'
import {
  INT64_MAX,
  INT64_MIN,
  maxLengthOf,
  precisionOf,
  rangeOf,
  STORAGE_TYPE,
} from './column-defaults.ts'
import { normaliseDateOnly, normaliseDateTime } from './internal/date-time.ts'
import { MAX_NUMERAL_LENGTH, roundNumber, scaleRounded } from './internal/decimal-text.ts'
import { recordInvalid } from './internal/record-invalid.ts'
import type { ColumnDef } from './model.ts'

/** A value as bound to SQL: INTEGER columns take bigint, REAL number, TEXT string. */
export type StorageValue = string | number | bigint | null

const BIGINT_TEXT = /^-?\d{1,19}$/
const CHOICES_TEXT = /^\s*\d{1,10}\s*(?:,\s*\d{1,10}\s*)*$/

/**
 * Converts a client value (parsed JSON) to the stored form of `column`:
 * - string, memo: TEXT, at most maxLength UTF-16 code units;
 * - wholenumber, choice: INTEGER; bigint: INTEGER from a safe integer or a decimal string;
 * - decimal, currency: INTEGER = value × 10^precision, rounded half away from zero, exact
 *   (BigInt); a number or a decimal string is accepted;
 * - float: REAL rounded to precision; boolean: INTEGER 0/1 from true/false only;
 * - datetime: TEXT 'YYYY-MM-DDTHH:MM:SSZ' (UTC, any offset accepted) or 'YYYY-MM-DD' (dateonly);
 * - choices: TEXT '1,3,5' (sorted, unique) from such a string; '' means null;
 * - lookup, uniqueidentifier: TEXT lower-case GUID (braces and upper case accepted).
 * Null stays null (the caller enforces `required`). Existence of lookup targets is checked by
 * the caller inside its transaction. An encrypted column is validated here like any other
 * (maxLength counts the plaintext); sealRow encrypts it once the record id is known.
 *
 * @throws AppError RECORD_INVALID with `details[0].path` = the column name
 */
export function encodeValue(column: ColumnDef, value: unknown): StorageValue {
  if (value === null) return null
  const fail = (message: string): never => {
    throw recordInvalid(column.name, message)
  }
  switch (column.type) {
    case 'string':
    case 'memo': {
      if (typeof value !== 'string') return fail('expected a string')
      const max = maxLengthOf(column)
      if (value.length > max) return fail(`longer than ${max} characters`)
      return value
    }
    case 'wholenumber': {
      if (typeof value !== 'number') return fail('expected a number')
      if (!Number.isInteger(value)) return fail('expected a whole number')
      checkRange(column, value, fail)
      return BigInt(value)
    }
    case 'bigint':
      return encodeBigint(column, value, fail)
    case 'float': {
      if (typeof value !== 'number') return fail('expected a number')
      if (!Number.isFinite(value)) return fail('expected a finite number')
      const rounded = roundNumber(value, precisionOf(column))
      checkRange(column, rounded, fail)
      return rounded
    }
    case 'decimal':
    case 'currency':
      return encodeScaled(column, value, fail)
    case 'boolean':
      if (typeof value !== 'boolean') return fail('expected true or false')
      return value ? 1n : 0n
    case 'datetime': {
      if (typeof value !== 'string') return fail('expected a date string')
      if (column.options.format === 'dateonly') {
        return normaliseDateOnly(value) ?? fail('expected a date YYYY-MM-DD from 1753 to 9999')
      }
      return (
        normaliseDateTime(value) ??
        fail('expected an ISO 8601 date and time with a UTC offset, from 1753 to 9999')
      )
    }
    case 'choice': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return fail('expected a choice value (whole number)')
      }
      if (!isChoice(column, value)) return fail('not one of the column choices')
      return BigInt(value)
    }
    case 'choices':
      return encodeChoices(column, value, fail)
    case 'lookup':
    case 'uniqueidentifier':
      return encodeGuid(value, fail)
  }
}

function checkRange(column: ColumnDef, value: number, fail: (message: string) => never): void {
  const [min, max] = rangeOf(column)
  if (value < min || value > max) fail(`out of range (${min} to ${max})`)
}

function encodeBigint(column: ColumnDef, value: unknown, fail: (message: string) => never): bigint {
  let big: bigint
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      return fail('expected a safe integer (give larger values as a decimal string)')
    }
    big = BigInt(value)
  } else if (typeof value === 'string') {
    if (!BIGINT_TEXT.test(value)) return fail('expected a whole number as a decimal string')
    big = BigInt(value)
  } else {
    return fail('expected a whole number')
  }
  const min = column.options.minValue === undefined ? INT64_MIN : BigInt(column.options.minValue)
  const max = column.options.maxValue === undefined ? INT64_MAX : BigInt(column.options.maxValue)
  if (big < min || big > max) return fail(`out of range (${min} to ${max})`)
  return big
}

function encodeScaled(column: ColumnDef, value: unknown, fail: (message: string) => never): bigint {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('expected a finite number')
    text = String(value)
  } else if (typeof value === 'string' && value.length <= MAX_NUMERAL_LENGTH) {
    text = value
  } else {
    return fail('expected a number')
  }
  const precision = precisionOf(column)
  const scaled = scaleRounded(text, precision)
  if (scaled === undefined) return fail('expected a number')
  const [min, max] = rangeOf(column)
  const factor = 10n ** BigInt(precision)
  // Bounds are whole numbers of the column's unit, so scaling them is exact.
  let low = BigInt(Math.ceil(min)) * factor
  let high = BigInt(Math.floor(max)) * factor
  if (low < INT64_MIN) low = INT64_MIN
  if (high > INT64_MAX) high = INT64_MAX
  if (scaled < low || scaled > high) return fail(`out of range (${min} to ${max})`)
  return scaled
}

function isChoice(column: ColumnDef, value: number): boolean {
  return (column.options.choices ?? []).some((c) => c.value === value)
}

function encodeChoices(
  column: ColumnDef,
  value: unknown,
  fail: (message: string) => never,
): string | null {
  if (typeof value !== 'string') return fail("expected a string of choice values such as '1,3'")
  if (value.trim() === '') return null
  const max = (column.options.choices?.length ?? 0) * 12
  if (value.length > max || !CHOICES_TEXT.test(value)) {
    return fail("expected a string of choice values such as '1,3'")
  }
  const values = [...new Set(value.split(',').map((v) => Number(v.trim())))]
  if (!values.every((v) => isChoice(column, v))) return fail('not all values are column choices')
  return values.sort((a, b) => a - b).join(',')
}

function encodeGuid(value: unknown, fail: (message: string) => never): string {
  if (typeof value !== 'string') return fail('expected a GUID string')
  const v = value
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .toLowerCase()
  if (!isGuid(v)) return fail('expected a GUID such as 00000000-0000-0000-0000-000000000000')
  return v
}

/**
 * The SQLite column type of a column (STRICT tables). An encrypted column holds sealed cells,
 * so it is a BLOB whatever its type (records/cells).
 */
export const sqlTypeOf = (column: ColumnDef): 'text' | 'integer' | 'real' | 'blob' =>
  column.options.encrypted === true ? 'blob' : STORAGE_TYPE[column.type]
