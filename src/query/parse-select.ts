import type { TableDef } from '../records/model.ts'
import { MAX_OPTION_LENGTH, MAX_SELECT_ITEMS } from './limits.ts'
import { queryError } from './query-error.ts'
import { resolveProperty } from './resolve-property.ts'
import { splitList } from './split-list.ts'

const SELECT = '$select'
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Parses $select (a comma list of column names, `_<lookup>_value` for lookups) into the
 * columns' logical names in request order, duplicates removed. System columns are allowed.
 *
 * @throws AppError QUERY_INVALID (empty entry, not a property name), COLUMN_NOT_FOUND,
 *   QUERY_TOO_COMPLEX (more than MAX_SELECT_ITEMS entries or MAX_OPTION_LENGTH characters)
 */
export function parseSelect(text: string, table: TableDef): readonly string[] {
  if (text.length > MAX_OPTION_LENGTH) {
    throw queryError('QUERY_TOO_COMPLEX', `$select is longer than ${MAX_OPTION_LENGTH} characters.`)
  }
  const entries = splitList(text)
  if (entries.length > MAX_SELECT_ITEMS) {
    throw queryError('QUERY_TOO_COMPLEX', `$select lists more than ${MAX_SELECT_ITEMS} columns.`)
  }
  const columns = new Set<string>()
  for (const entry of entries) {
    const source = { option: SELECT, text, offset: entry.offset }
    if (entry.text === '') throw queryError('QUERY_INVALID', 'Expected a column name', source)
    if (!NAME.test(entry.text)) {
      throw queryError('QUERY_INVALID', 'Expected a column name', source)
    }
    columns.add(resolveProperty(entry.text, table, source).column.name)
  }
  return [...columns]
}
