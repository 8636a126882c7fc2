import type { ColumnDef, TableDef } from '../../records/index.ts'
import { routeNotFound } from './odata-errors.ts'

const LOOKUP_VALUE = /^_([a-z][a-z0-9_]{0,126})_value$/

/**
 * A structural property of `table` in a URL: a column's logical name, or `_<lookup>_value` for
 * a lookup (dataverse-spec §7). A lookup's bare name is its navigation property, not a value.
 *
 * @throws AppError ROUTE_NOT_FOUND
 */
export function resolvePropertySegment(table: TableDef, name: string): ColumnDef {
  const m = LOOKUP_VALUE.exec(name)
  const column =
    m?.[1] === undefined
      ? table.columns.find((c) => c.name === name && c.type !== 'lookup')
      : table.columns.find((c) => c.name === m[1] && c.type === 'lookup')
  if (column === undefined) throw routeNotFound(name)
  return column
}
