import type { ColumnDef, ColumnType, TableDef } from '../records/model.ts'
import type { FilterNode } from './filter-ast.ts'
import { encryptedColumnError, isEncrypted } from './encrypted-column.ts'
import { MAX_FILTER_LENGTH, MAX_OPTION_LENGTH } from './limits.ts'
import { parseFilter, type AliasValues } from './parse-filter.ts'
import { queryError, type QueryErrorSource } from './query-error.ts'
import { resolveProperty } from './resolve-property.ts'
import { splitList } from './split-list.ts'

/** The aggregation methods of OData's data aggregation extension that Dataverse supports. */
export type AggregateMethod = 'sum' | 'average' | 'min' | 'max' | 'countdistinct'

/** One aggregate of `aggregate(...)`: `<column> with <method> as <alias>` or `$count as <alias>`. */
export type ApplyAggregate =
  | {
      readonly kind: 'method'
      readonly method: AggregateMethod
      /** Logical (and SQL) name of the column, from the TableDef. */
      readonly column: string
      readonly alias: string
    }
  | { readonly kind: 'count'; readonly alias: string }

/** A `groupby` property: the column and the name it has in the response. */
export interface ApplyGroup {
  readonly column: string
  /** The property name as written: the column's name, or `_<lookup>_value`. */
  readonly output: string
}

/**
 * A parsed $apply (dataverse-spec §7): optional `filter(...)` steps, then one `aggregate(...)`
 * or `groupby((...)[,aggregate(...)])`. Every column name was resolved against the TableDef.
 */
export interface ApplyNode {
  /** The `filter(...)` steps ANDed together; absent when there are none. */
  readonly filter?: FilterNode
  readonly groupBy: readonly ApplyGroup[]
  readonly aggregates: readonly ApplyAggregate[]
}

const APPLY = '$apply'
const ALIAS = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/
const PROPERTY = /^[A-Za-z_][A-Za-z0-9_]*$/
/** At most this many `groupby` properties and aggregates each. */
export const MAX_APPLY_ITEMS = 16
/** At most this many `filter(...)` steps. */
const MAX_FILTER_STEPS = 4

const NUMERIC: ReadonlySet<ColumnType> = new Set([
  'wholenumber',
  'bigint',
  'decimal',
  'currency',
  'float',
])
/** dataverse-spec §7: no groupby on datetime values. Multi-line text and multi-choice neither. */
const NOT_GROUPABLE: ReadonlySet<ColumnType> = new Set(['datetime', 'memo', 'choices'])

/**
 * Parses $apply against `table`: the subset Dataverse supports (dataverse-spec §7) —
 * `aggregate(x with sum|average|min|max|countdistinct as a, $count as n)`,
 * `groupby((x,y))`, `groupby((x,y),aggregate(...))`, each optionally after `filter(<$filter
 * expression>)/`. sum and average take number columns, min and max numbers and dates,
 * countdistinct any column but multi-line text and multi-choice; groupby takes no datetime,
 * multi-line text or multi-choice column. Encrypted columns take no part (their stored values
 * are sealed cells, docs/keys.md).
 *
 * @throws AppError QUERY_INVALID (syntax, a column of the wrong type, a repeated alias),
 *   COLUMN_NOT_FOUND, QUERY_ENCRYPTED_COLUMN, QUERY_TOO_COMPLEX (length or item limits), and
 *   the errors of parseFilter for a filter step
 */
export function parseApply(text: string, table: TableDef, aliases: AliasValues = {}): ApplyNode {
  if (text.length > MAX_OPTION_LENGTH) {
    throw queryError('QUERY_TOO_COMPLEX', `$apply is longer than ${MAX_OPTION_LENGTH} characters.`)
  }
  const filters: FilterNode[] = []
  let pos = 0
  for (;;) {
    const step = readCall(text, pos)
    const at = source(text, pos)
    if (step.name === 'filter') {
      if (filters.length === MAX_FILTER_STEPS) {
        throw queryError('QUERY_TOO_COMPLEX', `More than ${MAX_FILTER_STEPS} filter steps`, at)
      }
      if (step.args.length > MAX_FILTER_LENGTH) {
        throw queryError(
          'QUERY_TOO_COMPLEX',
          `A filter step is longer than ${MAX_FILTER_LENGTH} characters`,
          at,
        )
      }
      filters.push(parseFilter(step.args, table, aliases))
      if (text[step.end] !== '/') {
        throw queryError(
          'QUERY_INVALID',
          "Expected '/' and aggregate(...) or groupby(...) after filter(...)",
          source(text, step.end),
        )
      }
      pos = step.end + 1
      continue
    }
    if (step.end !== text.length) {
      throw queryError(
        'QUERY_INVALID',
        'Expected the end of $apply after the last transformation',
        source(text, step.end),
      )
    }
    const filter = filters.reduce<FilterNode | undefined>(
      (all, f) => (all === undefined ? f : { kind: 'and', left: all, right: f }),
      undefined,
    )
    const base = filter === undefined ? {} : { filter }
    if (step.name === 'aggregate') {
      return {
        ...base,
        groupBy: [],
        aggregates: parseAggregates(text, step.argsAt, step.args, table),
      }
    }
    if (step.name === 'groupby')
      return { ...base, ...parseGroupBy(text, step.argsAt, step.args, table) }
    throw queryError(
      'QUERY_UNSUPPORTED',
      'Only filter(...), aggregate(...) and groupby(...) are supported',
      at,
    )
  }
}

interface Call {
  readonly name: string
  readonly args: string
  /** Offset of the first character of `args` in the $apply text. */
  readonly argsAt: number
  /** Offset just past the closing parenthesis. */
  readonly end: number
}

/** Reads `name(args)` at `pos`, matching parentheses outside '…' string literals. */
function readCall(text: string, pos: number): Call {
  const open = text.indexOf('(', pos)
  const name = open < 0 ? '' : text.slice(pos, open).trim()
  if (!/^[a-z]+$/.test(name)) {
    throw queryError(
      'QUERY_INVALID',
      'Expected filter(...), aggregate(...) or groupby(...)',
      source(text, pos),
    )
  }
  let depth = 0
  let inString = false
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === "'") {
        if (text[i + 1] === "'") i++
        else inString = false
      }
      continue
    }
    if (c === "'") inString = true
    else if (c === '(') depth++
    else if (c === ')') {
      depth--
      if (depth === 0) return { name, args: text.slice(open + 1, i), argsAt: open + 1, end: i + 1 }
    }
  }
  throw queryError('QUERY_INVALID', 'Unbalanced parentheses', source(text, open))
}

function parseGroupBy(
  text: string,
  at: number,
  args: string,
  table: TableDef,
): { groupBy: ApplyGroup[]; aggregates: ApplyAggregate[] } {
  const trimmed = args.trimStart()
  const lead = at + args.length - trimmed.length
  if (!trimmed.startsWith('(')) {
    throw queryError(
      'QUERY_INVALID',
      'groupby takes a parenthesised list of properties',
      source(text, lead),
    )
  }
  const close = trimmed.indexOf(')')
  if (close < 0) throw queryError('QUERY_INVALID', 'Unbalanced parentheses', source(text, lead))
  const list = trimmed.slice(1, close)
  const entries = splitList(list)
  if (entries.length > MAX_APPLY_ITEMS) {
    throw queryError(
      'QUERY_TOO_COMPLEX',
      `More than ${MAX_APPLY_ITEMS} groupby properties`,
      source(text, lead),
    )
  }
  const groupBy: ApplyGroup[] = []
  for (const entry of entries) {
    const where = source(text, lead + 1 + entry.offset)
    if (!PROPERTY.test(entry.text))
      throw queryError('QUERY_INVALID', 'Expected a property name', where)
    const { column } = resolveProperty(entry.text, table, where)
    refuseEncrypted(column, 'groupby', where)
    if (NOT_GROUPABLE.has(column.type)) {
      throw queryError(
        'QUERY_INVALID',
        `Column '${column.name}' of type ${column.type} can't be grouped by`,
        where,
      )
    }
    if (groupBy.some((g) => g.column === column.name)) {
      throw queryError('QUERY_INVALID', 'A property is grouped by twice', where)
    }
    groupBy.push({ column: column.name, output: entry.text })
  }
  const rest = trimmed.slice(close + 1).trim()
  if (rest === '') return { groupBy, aggregates: [] }
  const restAt = at + args.indexOf(rest, args.length - trimmed.length + close + 1)
  if (!rest.startsWith(',')) {
    throw queryError(
      'QUERY_INVALID',
      "Expected ',' and aggregate(...) after the groupby properties",
      source(text, restAt),
    )
  }
  const inner = rest.slice(1).trimStart()
  const innerAt = restAt + rest.length - inner.length
  const call = readCall(inner, 0)
  if (call.name !== 'aggregate' || call.end !== inner.length) {
    throw queryError(
      'QUERY_INVALID',
      'groupby takes only aggregate(...) after its properties',
      source(text, innerAt),
    )
  }
  const aggregates = parseAggregates(text, innerAt + call.argsAt, call.args, table)
  for (const a of aggregates) {
    if (groupBy.some((g) => g.output === a.alias)) {
      throw queryError(
        'QUERY_INVALID',
        `The alias '${a.alias}' is also a groupby property`,
        source(text, innerAt),
      )
    }
  }
  return { groupBy, aggregates }
}

function parseAggregates(
  text: string,
  at: number,
  args: string,
  table: TableDef,
): ApplyAggregate[] {
  const entries = splitList(args)
  if (entries.length > MAX_APPLY_ITEMS) {
    throw queryError(
      'QUERY_TOO_COMPLEX',
      `More than ${MAX_APPLY_ITEMS} aggregates`,
      source(text, at),
    )
  }
  const aggregates: ApplyAggregate[] = []
  for (const entry of entries) {
    const where = source(text, at + entry.offset)
    const words = entry.text.split(/\s+/)
    let aggregate: ApplyAggregate
    if (words.length === 3 && words[0] === '$count' && words[1] === 'as') {
      aggregate = { kind: 'count', alias: alias(words[2], where) }
    } else if (words.length === 5 && words[1] === 'with' && words[3] === 'as') {
      const method = words[2] ?? ''
      if (!isMethod(method)) {
        throw queryError('QUERY_INVALID', 'Expected sum, average, min, max or countdistinct', where)
      }
      const name = words[0] ?? ''
      if (!PROPERTY.test(name)) throw queryError('QUERY_INVALID', 'Expected a property name', where)
      const { column } = resolveProperty(name, table, where)
      refuseEncrypted(column, method, where)
      checkMethodType(method, column, where)
      aggregate = { kind: 'method', method, column: column.name, alias: alias(words[4], where) }
    } else {
      throw queryError(
        'QUERY_INVALID',
        "Expected '<property> with <method> as <alias>' or '$count as <alias>'",
        where,
      )
    }
    if (aggregates.some((a) => a.alias === aggregate.alias)) {
      throw queryError('QUERY_INVALID', `The alias '${aggregate.alias}' is used twice`, where)
    }
    aggregates.push(aggregate)
  }
  return aggregates
}

const isMethod = (word: string): word is AggregateMethod =>
  word === 'sum' ||
  word === 'average' ||
  word === 'min' ||
  word === 'max' ||
  word === 'countdistinct'

function alias(word: string | undefined, where: QueryErrorSource): string {
  if (word === undefined || !ALIAS.test(word)) {
    throw queryError(
      'QUERY_INVALID',
      'An alias is a name of letters, digits and _ (at most 100)',
      where,
    )
  }
  return word
}

function checkMethodType(
  method: AggregateMethod,
  column: ColumnDef,
  where: QueryErrorSource,
): void {
  const ok =
    method === 'sum' || method === 'average'
      ? NUMERIC.has(column.type)
      : method === 'min' || method === 'max'
        ? NUMERIC.has(column.type) || column.type === 'datetime'
        : column.type !== 'memo' && column.type !== 'choices'
  if (!ok) {
    throw queryError(
      'QUERY_INVALID',
      `${method} doesn't apply to column '${column.name}' of type ${column.type}`,
      where,
    )
  }
}

function refuseEncrypted(column: ColumnDef, what: string, where: QueryErrorSource): void {
  if (isEncrypted(column)) throw encryptedColumnError(column, what, where)
}

const source = (text: string, offset: number): QueryErrorSource => ({ option: APPLY, text, offset })
