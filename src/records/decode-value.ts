import { precisionOf } from './column-defaults.ts'
import { formatScaled } from './internal/decimal-text.ts'
import { toBigint } from './internal/to-bigint.ts'
import type { ColumnDef, RecordValue } from './model.ts'

/**
 * Opens the sealed cell of an encrypted column of the record being decoded (records/cells):
 * its plaintext, or a DECRYPT_FAILED error.
 */
export type CellOpener = (column: ColumnDef, sealed: unknown) => string

/**
 * Converts a stored value (INTEGER read as bigint, REAL as number, TEXT as string) back to its
 * client form; the inverse of encodeValue. bigint columns give a number when it is a safe
 * integer and a decimal string otherwise; decimal and currency give numbers. An encrypted
 * column's cell is opened with `openCell` (only the columns being decoded are ever opened).
 *
 * @throws AppError DECRYPT_FAILED from `openCell`; TypeError for an encrypted column without it
 */
export function decodeValue(
  column: ColumnDef,
  stored: unknown,
  openCell?: CellOpener,
): RecordValue {
  if (stored === null || stored === undefined) return null
  if (column.options.encrypted === true) {
    if (openCell === undefined) throw new TypeError(`${column.name} is encrypted: pass openCell`)
    return openCell(column, stored)
  }
  switch (column.type) {
    case 'wholenumber':
    case 'choice':
      return Number(stored)
    case 'bigint': {
      const big = toBigint(stored)
      const n = Number(big)
      return Number.isSafeInteger(n) ? n : big.toString()
    }
    case 'decimal':
    case 'currency':
      return Number(formatScaled(toBigint(stored), precisionOf(column)))
    case 'float':
      return Number(stored)
    case 'boolean':
      return toBigint(stored) !== 0n
    case 'string':
    case 'memo':
    case 'datetime':
    case 'choices':
    case 'lookup':
    case 'uniqueidentifier':
      if (typeof stored !== 'string') throw new TypeError('expected text from the database')
      return stored
  }
}
