import type { TableDef } from '../records/model.ts'
import { findColumn } from './column-ref.ts'

/**
 * The columns to read for $select: the selected columns in request order followed by the
 * primary id column (Dataverse always returns it), or every column of the table in
 * definition order when there is no $select. System columns are allowed.
 *
 * @throws AppError COLUMN_NOT_FOUND if a name is not a column of `table`
 */
export function compileSelect(
  select: readonly string[] | undefined,
  table: TableDef,
): readonly string[] {
  if (select === undefined) return table.columns.map((c) => c.name)
  const names = new Set(select.map((name) => findColumn(table, name).name))
  names.add(findColumn(table, table.primaryIdColumn).name)
  return [...names]
}
