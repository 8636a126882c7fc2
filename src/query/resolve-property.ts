import type { ColumnDef, TableDef } from '../records/model.ts'
import { queryError, type QueryErrorSource } from './query-error.ts'

const LOOKUP_VALUE = /^_([a-z][a-z0-9_]*)_value$/

/** A property name resolved against a TableDef. */
export interface ResolvedProperty {
  readonly column: ColumnDef
  /** True when written as `_<lookup>_value`. */
  readonly lookupValue: boolean
}

/**
 * Resolves a Web API property name to a column: a column's logical name, or
 * `_<lookup>_value` for a lookup column (dataverse-spec §7 lookup filter). As in Dataverse, a
 * lookup's bare logical name is its navigation property, not a value, so it isn't accepted.
 * Names are case-sensitive.
 *
 * @throws AppError COLUMN_NOT_FOUND with the position in `source`
 */
export function resolveProperty(
  name: string,
  table: TableDef,
  source: QueryErrorSource,
): ResolvedProperty {
  const lookup = LOOKUP_VALUE.exec(name)
  if (lookup !== null) {
    const column = table.columns.find((c) => c.name === lookup[1])
    if (column?.type === 'lookup') return { column, lookupValue: true }
  } else {
    const column = table.columns.find((c) => c.name === name)
    if (column !== undefined && column.type !== 'lookup') return { column, lookupValue: false }
    if (column !== undefined) {
      throw queryError(
        'COLUMN_NOT_FOUND',
        `Lookup column '${column.name}' is read as '_${column.name}_value'`,
        source,
      )
    }
  }
  throw queryError('COLUMN_NOT_FOUND', `Table '${table.name}' has no such column`, source)
}
