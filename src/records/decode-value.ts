import { precisionOf } from './column-defaults.ts'
import { formatScaled } from './internal/decimal-text.ts'
import { toBigint } from './internal/to-bigint.ts'
import type { ColumnDef, RecordValue } from './model.ts'

/**
 * Converts a stored value (INTEGER read as bigint, REAL as number, TEXT as string) back to its
 * client form; the inverse of encodeValue. bigint columns give a number when it is a safe
 * integer and a decimal string otherwise; decimal and currency give numbers.
 */
export function decodeValue(column: ColumnDef, stored: unknown): RecordValue {
  if (stored === null || stored === undefined) return null
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
