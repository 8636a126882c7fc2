import { parseLiteral, type Literal } from '../../query/index.ts'
import { matchKey, type ColumnDef, type TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import { isGuid } from '../../shared/ids.ts'

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

/** What a key segment addresses: a record id, or the values of one of the table's alternate keys. */
export type RecordKey =
  | { readonly kind: 'id'; readonly id: string }
  | {
      readonly kind: 'alternate'
      /** Column logical name → client value (as in a create body), in key order. */
      readonly values: Readonly<Record<string, unknown>>
    }

/**
 * Dataverse answers a named key that is no key of the entity with the OData library's message
 * (Microsoft.OData.Core BadRequest_KeyCountMismatch) and 0x80060888.
 */
export const undefinedKey = (table: TableDef): AppError =>
  new AppError(
    'ALTERNATE_KEY_UNDEFINED',
    `The number of keys specified in the URI does not match number of key properties for the resource 'Microsoft.Dynamics.CRM.${table.name}'.`,
  )

/**
 * Parses the key of a record of `table` (dataverse-spec §7 Endpoint): a GUID,
 * `<primaryid>=<guid>`, or `<col>=<literal>[,…]` naming exactly the columns of one of the
 * table's alternate keys (a lookup column as `_<col>_value`, as Dataverse requires). Values
 * are only parsed here; records validates them against their columns and binds them as SQL
 * parameters.
 *
 * @throws AppError QUERY_INVALID (malformed key, a null or mistyped value),
 *   ALTERNATE_KEY_UNDEFINED (the names are not a key of the table)
 */
export function parseRecordKey(text: string, table: TableDef): RecordKey {
  const key = parseKeyText(text)
  if (key.kind === 'guid') return { kind: 'id', id: key.id }
  const [first] = key.pairs
  if (key.pairs.length === 1 && first !== undefined && first[0] === table.primaryIdColumn) {
    const literal = first[1]
    if (literal.kind === 'guid' && isGuid(literal.value)) return { kind: 'id', id: literal.value }
    if (literal.kind === 'string' && isGuid(literal.value.toLowerCase())) {
      return { kind: 'id', id: literal.value.toLowerCase() }
    }
    throw invalidKey()
  }
  const values: Record<string, unknown> = {}
  for (const [name, literal] of key.pairs) {
    const column = keyColumn(table, name)
    if (column === undefined || Object.hasOwn(values, column.name)) throw undefinedKey(table)
    values[column.name] = clientValue(column, literal)
  }
  if (matchKey(table, Object.keys(values)) === undefined) throw undefinedKey(table)
  return { kind: 'alternate', values }
}

/** The column a key name refers to: `_<lookup>_value` for lookups, the logical name otherwise. */
function keyColumn(table: TableDef, name: string): ColumnDef | undefined {
  const lookup = /^_([a-z][a-z0-9_]{0,49})_value$/.exec(name)?.[1]
  if (lookup !== undefined) {
    return table.columns.find((c) => c.name === lookup && c.type === 'lookup')
  }
  return table.columns.find((c) => c.name === name && c.type !== 'lookup')
}

const mistyped = (column: ColumnDef): AppError =>
  new AppError(
    'QUERY_INVALID',
    `The key value of '${column.name}' is not a literal of its type (${column.type}).`,
  )

/** An OData literal as the client value records expects for `column` (see encodeValue). */
function clientValue(column: ColumnDef, literal: Literal): unknown {
  if (literal.kind === 'null') {
    throw new AppError('QUERY_INVALID', `The key value of '${column.name}' can't be null.`)
  }
  switch (column.type) {
    case 'wholenumber':
    case 'choice':
      if (literal.kind !== 'number') throw mistyped(column)
      return Number(literal.text)
    case 'bigint':
    case 'decimal':
      // Decimal text keeps bigint and decimal values exact (encodeValue parses it).
      if (literal.kind !== 'number') throw mistyped(column)
      return literal.text
    case 'datetime':
      if (literal.kind === 'datetime' || literal.kind === 'string') return literal.value
      if (literal.kind === 'date') {
        return column.options.format === 'dateonly' ? literal.value : `${literal.value}T00:00:00Z`
      }
      throw mistyped(column)
    case 'lookup':
    case 'uniqueidentifier':
      if (literal.kind === 'guid' || literal.kind === 'string') return literal.value
      throw mistyped(column)
    case 'string':
    case 'memo':
    case 'choices':
    case 'currency':
    case 'float':
    case 'boolean':
      // Only string reaches here (keys take no other of these types); the rest for the switch.
      if (literal.kind !== 'string') throw mistyped(column)
      return literal.value
  }
}
