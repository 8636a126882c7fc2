import { parseLiteral, type Literal } from '../../query/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import { isGuid } from '../../shared/ids.ts'
import { quoteName, unsupported } from './odata-errors.ts'

/** A parsed key: a bare GUID, or named values (`name='v',other=1`). */
export type KeyText =
  | { readonly kind: 'guid'; readonly id: string }
  | { readonly kind: 'named'; readonly pairs: readonly (readonly [string, Literal])[] }

const BARE_GUID =
  /^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$/
const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/
const MAX_KEY_PARTS = 16

const invalidKey = (): AppError =>
  new AppError('QUERY_INVALID', 'The key in the URL is malformed (expected a GUID or name=value).')

/**
 * Parses the text between a segment's parentheses (dataverse-spec §7:
 * `<set>(<guid>)` or `<set>(<altkey>='v')`). Values are OData literals ('' escapes quotes).
 *
 * @throws AppError QUERY_INVALID
 */
export function parseKeyText(text: string): KeyText {
  if (BARE_GUID.test(text)) return { kind: 'guid', id: text.replace(/[{}]/g, '').toLowerCase() }
  const parts = splitTopLevel(text)
  if (parts.length === 0 || parts.length > MAX_KEY_PARTS) throw invalidKey()
  const pairs = parts.map((part) => {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq).trim()
    if (eq === -1 || !KEY_NAME.test(name)) throw invalidKey()
    return [name, parseLiteral(part.slice(eq + 1).trim(), 'key')] as const
  })
  return { kind: 'named', pairs }
}

/** Splits on commas outside single-quoted strings. @throws AppError QUERY_INVALID */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'") quoted = !quoted
    else if (c === ',' && !quoted) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  if (quoted) throw invalidKey()
  parts.push(text.slice(start))
  return parts
}

/**
 * The record id addressed by a key of `table`: a GUID, or `<primaryid>=<guid>`. Alternate
 * keys need key definitions (unique indexes) that tables don't have yet, so any other named
 * key is QUERY_UNSUPPORTED.
 *
 * @throws AppError QUERY_INVALID, QUERY_UNSUPPORTED
 */
export function parseRecordKey(text: string, table: TableDef): string {
  const key = parseKeyText(text)
  if (key.kind === 'guid') return key.id
  const [first] = key.pairs
  if (key.pairs.length === 1 && first !== undefined && first[0] === table.primaryIdColumn) {
    const literal = first[1]
    if (literal.kind === 'guid' && isGuid(literal.value)) return literal.value
    if (literal.kind === 'string' && isGuid(literal.value.toLowerCase())) {
      return literal.value.toLowerCase()
    }
    throw invalidKey()
  }
  const names = key.pairs.map(([name]) => quoteName(name)).join(', ')
  throw unsupported(
    `Table '${table.name}' has no alternate key ${names}: alternate keys are not supported yet; address the record by its primary id.`,
  )
}
