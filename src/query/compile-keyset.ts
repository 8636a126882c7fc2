import { sql, type Expression, type SqlBool } from 'kysely'
import type { OrderByTerm } from './compile-order-by.ts'
import type { DynamicExpressionBuilder, WhereFactory } from './dynamic-db.ts'
import { queryError } from './query-error.ts'
import type { StorageValue } from './to-storage-value.ts'

/**
 * Compiles the keyset-paging predicate "rows after the row whose sort values are `values`"
 * for the terms of compileOrderBy (one value per term, in term order, as stored: take them
 * from the last row of the previous page). Use it with the same ORDER BY to fetch the next
 * page; it matches exactly the rows that sort after that row, nulls included.
 *
 * For each term, with v its value: after(i) = strictlyAfter(i) OR (equal(i) AND after(i+1)),
 * where asc (nulls first) strictlyAfter is `k > v` (v null: `k IS NOT NULL`) and desc
 * (nulls last) is `k < v OR k IS NULL` (v null: nothing). The last term is the unique
 * primary id, so equality on all terms is never "after".
 *
 * @throws AppError QUERY_INVALID when `values` doesn't fit the terms (a tampered skip token)
 */
export function compileKeysetAfter(
  terms: readonly OrderByTerm[],
  values: readonly unknown[],
): WhereFactory {
  if (terms.length === 0 || values.length !== terms.length || !values.every(isStorageValue)) {
    throw queryError('QUERY_INVALID', 'The skip token does not match the query.')
  }
  return (eb) => after(eb, terms, values, 0) ?? sql<SqlBool>`1 = 0`
}

function isStorageValue(value: unknown): value is StorageValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'bigint' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
}

function after(
  eb: DynamicExpressionBuilder,
  terms: readonly OrderByTerm[],
  values: readonly StorageValue[],
  index: number,
): Expression<SqlBool> | undefined {
  const term = terms[index]
  if (term === undefined) return undefined
  const value = values[index] ?? null
  const key = term.expression(eb)
  const bound =
    term.caseInsensitive && value !== null ? eb.fn('lower', [eb.val(value)]) : eb.val(value)
  let strictly: Expression<SqlBool> | undefined
  if (term.direction === 'asc') {
    strictly = value === null ? eb(key, 'is not', null) : eb(key, '>', bound)
  } else {
    strictly = value === null ? undefined : eb.or([eb(key, '<', bound), eb(key, 'is', null)])
  }
  const rest = after(eb, terms, values, index + 1)
  const equal = value === null ? eb(key, 'is', null) : eb(key, '=', bound)
  const tied = rest === undefined ? undefined : eb.and([equal, rest])
  if (strictly === undefined) return tied
  if (tied === undefined) return strictly
  return eb.or([strictly, tied])
}
