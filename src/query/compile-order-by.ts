import type { Expression, OrderByModifiersCallbackExpression } from 'kysely'
import type { TableDef } from '../records/model.ts'
import { comparable, findColumn, isTextColumn } from './column-ref.ts'
import type { DynamicExpressionBuilder } from './dynamic-db.ts'
import { encryptedColumnError, isEncrypted } from './encrypted-column.ts'
import type { OrderByItem, SortDirection } from './parse-order-by.ts'

/** One ORDER BY term: `qb.orderBy(term.expression, term.modifiers)`. */
export interface OrderByTerm {
  /** Column logical name (also the key of its value in a result row). */
  readonly column: string
  readonly direction: SortDirection
  /** True when the term sorts by lower(column) (string and memo columns). */
  readonly caseInsensitive: boolean
  readonly expression: (eb: DynamicExpressionBuilder) => Expression<unknown>
  /** Direction plus explicit null placement: asc nulls first, desc nulls last. */
  readonly modifiers: OrderByModifiersCallbackExpression
}

/**
 * Compiles $orderby into ORDER BY terms for `table`, always ending with the primary id
 * column (ascending, unless $orderby already sorts by it) so that the order is total and
 * keyset paging is stable.
 *
 * Text columns sort by lower(column), matching the case-insensitive comparisons of
 * compileFilter. Nulls sort first ascending and last descending, as in SQL Server (so
 * Dataverse) and SQLite; the placement is spelled out so PostgreSQL agrees.
 *
 * @throws AppError COLUMN_NOT_FOUND if an item names no column of `table`,
 *   QUERY_ENCRYPTED_COLUMN if it names an encrypted column
 */
export function compileOrderBy(
  orderBy: readonly OrderByItem[] | undefined,
  table: TableDef,
): readonly OrderByTerm[] {
  const items = [...(orderBy ?? [])]
  if (!items.some((item) => item.column === table.primaryIdColumn)) {
    items.push({ column: table.primaryIdColumn, direction: 'asc' })
  }
  return items.map((item) => {
    const column = findColumn(table, item.column)
    if (isEncrypted(column)) throw encryptedColumnError(column, 'sorting')
    return {
      column: column.name,
      direction: item.direction,
      caseInsensitive: isTextColumn(column),
      expression: (eb) => comparable(eb, table, column),
      modifiers:
        item.direction === 'asc' ? (ob) => ob.asc().nullsFirst() : (ob) => ob.desc().nullsLast(),
    }
  })
}
