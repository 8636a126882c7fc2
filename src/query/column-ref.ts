import type { Expression } from 'kysely'
import type { ColumnDef, TableDef } from '../records/model.ts'
import type { DynamicExpressionBuilder } from './dynamic-db.ts'
import { queryError } from './query-error.ts'

/**
 * Looks a column up in the TableDef. Compilers call this for every name they put in SQL, so
 * identifiers only ever come from metadata, even when an AST was built by hand.
 *
 * @throws AppError COLUMN_NOT_FOUND
 */
export function findColumn(table: TableDef, name: string): ColumnDef {
  const column = table.columns.find((c) => c.name === name)
  if (column === undefined) {
    throw queryError('COLUMN_NOT_FOUND', `Table '${table.name}' has no such column.`)
  }
  return column
}

/** True for columns compared case-insensitively (dataverse-spec §7). */
export const isTextColumn = (column: ColumnDef): boolean =>
  column.type === 'string' || column.type === 'memo'

/** A reference to the column qualified by its table name (`account.name`). */
export function columnRef(
  eb: DynamicExpressionBuilder,
  table: TableDef,
  column: ColumnDef,
): Expression<unknown> {
  return eb.ref(`${table.name}.${column.name}`)
}

/**
 * The expression a column is compared and sorted by: lower(column) for text columns, the
 * column itself otherwise.
 *
 * Case-insensitivity (dataverse-spec §7: all string comparisons are case-insensitive) is
 * done with lower() on both sides rather than SQLite's COLLATE NOCASE, because lower() exists
 * in PostgreSQL too. Both NOCASE and SQLite's built-in lower() fold ASCII only: in SQLite 'É'
 * and 'é' differ, while PostgreSQL's lower() folds all of Unicode. Exact-case matches always
 * match, since both sides go through the same function.
 */
export function comparable(
  eb: DynamicExpressionBuilder,
  table: TableDef,
  column: ColumnDef,
): Expression<unknown> {
  const ref = columnRef(eb, table, column)
  return isTextColumn(column) ? eb.fn('lower', [ref]) : ref
}
