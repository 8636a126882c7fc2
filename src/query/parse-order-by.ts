import type { TableDef } from '../records/model.ts'
import type { AliasValues } from './parse-filter.ts'
import { MAX_OPTION_LENGTH, MAX_ORDER_BY_ITEMS } from './limits.ts'
import { queryError, type QueryErrorSource } from './query-error.ts'
import { encryptedColumnError, isEncrypted } from './encrypted-column.ts'
import { resolveProperty } from './resolve-property.ts'
import { splitList } from './split-list.ts'

/** Sort direction. */
export type SortDirection = 'asc' | 'desc'

/** One $orderby entry. */
export interface OrderByItem {
  /** Logical (and SQL) name of the column. */
  readonly column: string
  readonly direction: SortDirection
}

const ORDER_BY = '$orderby'
const ENTRY = /^(@?[A-Za-z_][A-Za-z0-9_]*)(?:[ \t]+(asc|desc))?$/
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Parses $orderby: a comma list of `column [asc|desc]` (default asc). A parameter alias may
 * stand for the column name (dataverse-spec §7: aliases are allowed in $orderby). A column may
 * appear once. Multi-select choice columns and encrypted columns can't be sorted.
 *
 * @throws AppError QUERY_INVALID, COLUMN_NOT_FOUND, QUERY_UNSUPPORTED (navigation paths,
 *   choices columns), QUERY_ENCRYPTED_COLUMN or QUERY_TOO_COMPLEX (more than
 *   MAX_ORDER_BY_ITEMS entries)
 */
export function parseOrderBy(
  text: string,
  table: TableDef,
  aliases: AliasValues = {},
): readonly OrderByItem[] {
  if (text.length > MAX_OPTION_LENGTH) {
    throw queryError(
      'QUERY_TOO_COMPLEX',
      `$orderby is longer than ${MAX_OPTION_LENGTH} characters.`,
    )
  }
  const entries = splitList(text)
  if (entries.length > MAX_ORDER_BY_ITEMS) {
    throw queryError('QUERY_TOO_COMPLEX', `$orderby lists more than ${MAX_ORDER_BY_ITEMS} columns.`)
  }
  const items: OrderByItem[] = []
  for (const entry of entries) {
    const source: QueryErrorSource = { option: ORDER_BY, text, offset: entry.offset }
    if (entry.text.includes('/')) {
      throw queryError('QUERY_UNSUPPORTED', 'Sorting by a related table is not supported', source)
    }
    const m = ENTRY.exec(entry.text)
    if (m === null) {
      throw queryError('QUERY_INVALID', "Expected 'column', 'column asc' or 'column desc'", source)
    }
    const [, written = '', direction = 'asc'] = m
    let name = written
    let nameSource = source
    if (written.startsWith('@')) {
      if (!Object.hasOwn(aliases, written)) {
        throw queryError('QUERY_INVALID', 'The parameter alias has no value', source)
      }
      const value = aliases[written] ?? ''
      name = value.trim()
      nameSource = { option: written, text: value, offset: value.length - value.trimStart().length }
      if (!NAME.test(name)) throw queryError('QUERY_INVALID', 'Expected a column name', nameSource)
    }
    const { column } = resolveProperty(name, table, nameSource)
    if (column.type === 'choices') {
      throw queryError(
        'QUERY_UNSUPPORTED',
        'Multi-select choice columns cannot be sorted',
        nameSource,
      )
    }
    if (isEncrypted(column)) {
      // A sealed cell (or a keyed hash of it) sorts in no useful order.
      throw encryptedColumnError(column, 'sorting', nameSource)
    }
    if (items.some((item) => item.column === column.name)) {
      throw queryError('QUERY_INVALID', 'The column is already in $orderby', source)
    }
    items.push({ column: column.name, direction: direction === 'desc' ? 'desc' : 'asc' })
  }
  return items
}
