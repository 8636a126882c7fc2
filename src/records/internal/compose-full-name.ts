import { maxLengthOf } from '../column-defaults.ts'
import type { TableDef } from '../model.ts'
import type { StorageRow } from './encode-record.ts'

/** Tables whose primary name is composed from first and last name (Dataverse contact). */
const COMPOSED: ReadonlySet<string> = new Set(['contact'])

/** Whether `column` of `table` is a source of the composed primary name (contact first/last). */
export const isNamePart = (table: TableDef, column: string): boolean =>
  COMPOSED.has(table.name) && (column === 'firstname' || column === 'lastname')

/** Whether `composeFullName` needs the current first and last name for this write. */
export const needsNameParts = (table: TableDef, row: StorageRow): boolean =>
  COMPOSED.has(table.name) && !row.has('fullname') && (row.has('firstname') || row.has('lastname'))

/**
 * Dataverse contact: when fullname isn't given and firstname or lastname changes, fullname
 * becomes "firstname lastname" (either part alone when the other is empty; null when both are).
 * `current` holds the stored parts for an update.
 */
export function composeFullName(
  table: TableDef,
  row: StorageRow,
  current: Readonly<Record<string, unknown>> = {},
): void {
  if (!needsNameParts(table, row)) return
  const part = (name: string): string => {
    const value = row.has(name) ? row.get(name) : current[name]
    return typeof value === 'string' ? value.trim() : ''
  }
  const full = [part('firstname'), part('lastname')].filter((p) => p !== '').join(' ')
  const column = table.columns.find((c) => c.name === 'fullname')
  if (column === undefined) return
  row.set('fullname', full === '' ? null : full.slice(0, maxLengthOf(column)))
}
