/**
 * An INTEGER read from SQLite as a bigint. Environment databases read integers as bigint
 * (safeIntegers); a number or numeric string is accepted too, so the code doesn't depend on it.
 */
export function toBigint(value: unknown): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value)
  throw new TypeError('expected an integer from the database')
}
