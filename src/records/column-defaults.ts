import type { ColumnDef, ColumnType } from './model.ts'

/** Largest and smallest values of SQLite's 64-bit INTEGER. */
export const INT64_MAX = 2n ** 63n - 1n
export const INT64_MIN = -(2n ** 63n)

/** Dataverse string column: default and largest maxLength. */
export const STRING_MAX_LENGTH_DEFAULT = 100
export const STRING_MAX_LENGTH_LIMIT = 4000
/** Dataverse memo (multiline text) column: default and largest maxLength. */
export const MEMO_MAX_LENGTH_DEFAULT = 2000
export const MEMO_MAX_LENGTH_LIMIT = 1_048_576

/** Dataverse whole number range (32-bit). */
export const WHOLENUMBER_MIN = -2_147_483_648
export const WHOLENUMBER_MAX = 2_147_483_647

/** Dataverse float: ±100,000,000,000; precision 0-5, default 2. */
export const FLOAT_LIMIT = 100_000_000_000
export const FLOAT_PRECISION_MAX = 5
/** Dataverse decimal: ±100,000,000,000; precision 0-10, default 2. */
export const DECIMAL_LIMIT = 100_000_000_000
export const DECIMAL_PRECISION_MAX = 10
/** Dataverse currency: ±922,337,203,685,477; precision 0-4, default 2. */
export const CURRENCY_LIMIT = 922_337_203_685_477
export const CURRENCY_PRECISION_MAX = 4
export const PRECISION_DEFAULT = 2

/** Limits on choice metadata. */
export const CHOICE_LABEL_MAX_LENGTH = 100
export const CHOICE_OPTIONS_MAX = 1000
/** Limits on lookup metadata. */
export const LOOKUP_TARGETS_MAX = 10

/** Dataverse's date range: 1753-01-01 to 9999-12-31. */
export const DATE_MIN_YEAR = 1753
export const DATE_MAX_YEAR = 9999

/** SQLite storage class of each column type (STRICT tables enforce it). */
export const STORAGE_TYPE: Readonly<Record<ColumnType, 'text' | 'integer' | 'real'>> = {
  string: 'text',
  memo: 'text',
  wholenumber: 'integer',
  bigint: 'integer',
  decimal: 'integer',
  float: 'real',
  currency: 'integer',
  boolean: 'integer',
  datetime: 'text',
  choice: 'integer',
  choices: 'text',
  lookup: 'text',
  uniqueidentifier: 'text',
}

/** maxLength of a string or memo column, defaults applied. */
export function maxLengthOf(column: ColumnDef): number {
  if (column.options.maxLength !== undefined) return column.options.maxLength
  return column.type === 'memo' ? MEMO_MAX_LENGTH_DEFAULT : STRING_MAX_LENGTH_DEFAULT
}

/** precision of a float, decimal or currency column, defaults applied. */
export function precisionOf(column: ColumnDef): number {
  return column.options.precision ?? PRECISION_DEFAULT
}

/** Inclusive [min, max] of a wholenumber, float, decimal or currency column, defaults applied. */
export function rangeOf(column: ColumnDef): readonly [number, number] {
  const [min, max] = defaultRange(column.type)
  return [column.options.minValue ?? min, column.options.maxValue ?? max]
}

/** The widest range a column of `type` may declare. */
export function defaultRange(type: ColumnType): readonly [number, number] {
  switch (type) {
    case 'wholenumber':
      return [WHOLENUMBER_MIN, WHOLENUMBER_MAX]
    case 'float':
      return [-FLOAT_LIMIT, FLOAT_LIMIT]
    case 'decimal':
      return [-DECIMAL_LIMIT, DECIMAL_LIMIT]
    case 'currency':
      return [-CURRENCY_LIMIT, CURRENCY_LIMIT]
    case 'bigint':
    case 'string':
    case 'memo':
    case 'boolean':
    case 'datetime':
    case 'choice':
    case 'choices':
    case 'lookup':
    case 'uniqueidentifier':
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
  }
}
