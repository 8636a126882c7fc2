import type { ColumnDef } from '../records/model.ts'
import { AppError } from '../shared/errors.ts'
import type { Literal } from './filter-ast.ts'
import { scaleDecimal } from './scale-decimal.ts'

/** A value as stored in (and bound as a parameter to) SQL. */
export type StorageValue = string | number | bigint | null

/** Digits after the point when ColumnDef.options.precision is absent (decimal and currency). */
export const DEFAULT_SCALED_PRECISION = 2

/**
 * Number of decimal places a column's INTEGER storage is scaled by: precision (default 2) for
 * decimal and currency, 0 for every other numeric type.
 */
export function storageScale(column: ColumnDef): number {
  if (column.type === 'decimal' || column.type === 'currency') {
    return column.options.precision ?? DEFAULT_SCALED_PRECISION
  }
  return 0
}

/** The datetime format of a datetime column; Dataverse's default is date and time. */
export const dateTimeFormat = (column: ColumnDef): 'dateonly' | 'datetime' =>
  column.options.format ?? 'datetime'

const mismatch = (column: ColumnDef, literal: Literal): AppError =>
  new AppError(
    'QUERY_INVALID',
    `A ${literal.kind} value can't be compared with column '${column.name}' of type ${column.type}.`,
  )

/**
 * Converts a typed OData literal to the value stored for `column`:
 * - string, memo: TEXT as given;
 * - wholenumber, bigint, choice: INTEGER (bigint beyond 2^53);
 * - decimal, currency: INTEGER scaled by 10^precision (default 2), exactly;
 * - float: REAL;
 * - boolean: INTEGER 0/1;
 * - datetime: TEXT 'YYYY-MM-DDTHH:MM:SSZ' (UTC; sub-second digits are truncated, a date means
 *   midnight UTC) or 'YYYY-MM-DD' for the dateonly format (a date-time only if at midnight UTC);
 * - choices: TEXT '1,3,5' from a string literal of comma-separated integers;
 * - lookup, uniqueidentifier: TEXT lower-case GUID.
 * null stays null. A non-integral number for an integer-stored column becomes trunc ± 0.5 (see
 * scaleDecimal), which compares correctly but must not be stored.
 *
 * @throws AppError QUERY_INVALID when the literal's type doesn't fit the column
 */
export function toStorageValue(column: ColumnDef, literal: Literal): StorageValue {
  if (literal.kind === 'null') return null
  switch (column.type) {
    case 'string':
    case 'memo':
      if (literal.kind !== 'string') throw mismatch(column, literal)
      return literal.value
    case 'wholenumber':
    case 'bigint':
    case 'decimal':
    case 'currency':
      if (literal.kind !== 'number') throw mismatch(column, literal)
      return scaleDecimal(literal.text, storageScale(column))
    case 'choice': {
      if (literal.kind !== 'number') throw mismatch(column, literal)
      const value = scaleDecimal(literal.text, 0)
      if (!Number.isInteger(value) && typeof value !== 'bigint') {
        throw new AppError('QUERY_INVALID', `Column '${column.name}' takes whole-number choices.`)
      }
      return value
    }
    case 'float': {
      if (literal.kind !== 'number') throw mismatch(column, literal)
      const value = Number(literal.text)
      if (!Number.isFinite(value))
        throw new AppError('QUERY_INVALID', 'The number is out of range.')
      return value
    }
    case 'boolean':
      if (literal.kind !== 'boolean') throw mismatch(column, literal)
      return literal.value ? 1 : 0
    case 'datetime':
      return dateTimeStorage(column, literal)
    case 'choices':
      if (literal.kind !== 'string' || !/^\d{1,10}(?:,\d{1,10})*$/.test(literal.value)) {
        throw mismatch(column, literal)
      }
      return literal.value
    case 'lookup':
    case 'uniqueidentifier':
      if (literal.kind !== 'guid') throw mismatch(column, literal)
      return literal.value.toLowerCase()
  }
}

function dateTimeStorage(column: ColumnDef, literal: Literal): string {
  if (literal.kind !== 'date' && literal.kind !== 'datetime') throw mismatch(column, literal)
  if (dateTimeFormat(column) === 'dateonly') {
    if (literal.kind === 'date') return literal.value
    if (!literal.value.endsWith('T00:00:00Z')) {
      throw new AppError(
        'QUERY_INVALID',
        `Column '${column.name}' holds dates only; compare it with a date (YYYY-MM-DD).`,
      )
    }
    return literal.value.slice(0, 10)
  }
  if (literal.kind === 'date') return `${literal.value}T00:00:00Z`
  return `${literal.value.slice(0, 19)}Z`
}
