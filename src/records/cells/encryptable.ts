import { isNamePart } from '../internal/compose-full-name.ts'
import type { ColumnDef, ColumnType, TableDef } from '../model.ts'

/**
 * Column types that can be encrypted: text, the form credentials and national ids take. Numbers,
 * dates and choices are compared and sorted by range, and lookups and ids are what joins,
 * cascades and the security model read, so none of them can be sealed (docs/keys.md).
 */
export const ENCRYPTABLE_TYPES: readonly ColumnType[] = ['string', 'memo']

/**
 * Why `column` of `table` can't be encrypted, or undefined when it can: the platform itself
 * must read system tables, system columns, primary names (lookup display names) and the
 * parts a primary name is composed from.
 */
export function encryptionRefusal(table: TableDef, column: ColumnDef): string | undefined {
  if (!ENCRYPTABLE_TYPES.includes(column.type)) {
    return `only ${ENCRYPTABLE_TYPES.join(' and ')} columns can be encrypted, not ${column.type}`
  }
  if (table.system) return 'columns of system tables cannot be encrypted'
  if (column.system) return 'system columns cannot be encrypted'
  if (column.primary !== undefined || column.name === table.primaryNameColumn) {
    return 'the primary name column cannot be encrypted'
  }
  if (table.keys?.some((key) => key.columns.includes(column.name)) === true) {
    return 'the column is part of an alternate key, whose unique index needs plain values'
  }
  if (isNamePart(table, column.name)) {
    return 'the primary name is composed from this column, so it cannot be encrypted'
  }
  return undefined
}
