import { parseQueryOptions, type ParsedQueryOptions } from '../../query/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import { findNavigation, type Navigation } from './navigation.ts'
import { badRequest, quoteName, unsupported } from './odata-errors.ts'
import type { Operation } from './operation.ts'

/** One parsed $expand item. */
export interface ExpandItem {
  readonly navigation: Navigation
  /** The table the navigation leads to. */
  readonly target: TableDef
  readonly options: ParsedQueryOptions
}

const ITEM = /^([A-Za-z_][A-Za-z0-9_]{0,127})(?:\((.*)\))?$/s
const OPTION = /^(\$[a-z]{1,16})=(.*)$/s
const COLLECTION_OPTIONS = new Set(['$select', '$filter', '$orderby', '$top'])

/**
 * Parses $expand (dataverse-spec §7): a comma list of navigation properties, each with
 * optional `($select=…;$filter=…;$orderby=…;$top=…)`. Single-valued navigations take only
 * $select. One level only: a nested $expand is QUERY_UNSUPPORTED. Parameter aliases are not
 * allowed inside $expand (dataverse-spec §7).
 *
 * @throws AppError QUERY_INVALID, QUERY_UNSUPPORTED, QUERY_TOO_COMPLEX, COLUMN_NOT_FOUND
 */
export async function parseExpand(
  op: Operation,
  table: TableDef,
  text: string,
): Promise<readonly ExpandItem[]> {
  const parts = splitTopLevel(text, ',')
  if (parts.length > op.limits.maxExpand) {
    throw new AppError(
      'QUERY_TOO_COMPLEX',
      `$expand names more than ${op.limits.maxExpand} navigation properties.`,
    )
  }
  const tables = await op.tables()
  const seen = new Set<string>()
  const items: ExpandItem[] = []
  for (const part of parts) {
    const m = ITEM.exec(part.trim())
    const name = m?.[1]
    if (m === null || name === undefined) throw badRequest('$expand is malformed.')
    const navigation = findNavigation(table, tables, name)
    if (navigation === undefined) {
      throw new AppError(
        'COLUMN_NOT_FOUND',
        `Could not find a navigation property named ${quoteName(name)} on '${table.name}'.`,
      )
    }
    if (seen.has(name)) throw badRequest(`$expand names ${quoteName(name)} twice.`)
    seen.add(name)
    const target =
      navigation.kind === 'single'
        ? tables.find((t) => t.name === navigation.target)
        : navigation.table
    if (target === undefined) throw badRequest('$expand names a table that no longer exists.')
    const params: Record<string, string> = {}
    for (const option of m[2] === undefined ? [] : splitTopLevel(m[2], ';')) {
      const o = OPTION.exec(option.trim())
      const key = o?.[1]
      if (o === null || key === undefined) throw badRequest('$expand has a malformed option.')
      if (key === '$expand') throw unsupported('Nested $expand is not supported (one level only).')
      const allowed = navigation.kind === 'single' ? key === '$select' : COLLECTION_OPTIONS.has(key)
      if (!allowed) {
        throw badRequest(
          navigation.kind === 'single'
            ? 'A single-valued navigation property in $expand takes only $select.'
            : 'Options inside $expand are limited to $select, $filter, $orderby and $top.',
        )
      }
      if (key in params) throw badRequest('$expand repeats an option.')
      params[key] = o[2] ?? ''
    }
    items.push({ navigation, target, options: parseQueryOptions(params, target) })
  }
  return items
}

/** Splits on `separator` outside parentheses and single-quoted strings. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'") quoted = !quoted
    else if (quoted) continue
    else if (c === '(') depth++
    else if (c === ')') {
      depth--
      if (depth < 0) throw badRequest('$expand has unbalanced parentheses.')
    } else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  if (depth !== 0 || quoted) throw badRequest('$expand has unbalanced parentheses or quotes.')
  parts.push(text.slice(start))
  return parts
}
