import type { TableDef } from '../records/model.ts'
import type { FilterNode } from './filter-ast.ts'
import { parseApply, type ApplyNode } from './parse-apply.ts'
import { MAX_OPTION_LENGTH } from './limits.ts'
import { parseFilter, type AliasValues } from './parse-filter.ts'
import { parseOrderBy, type OrderByItem } from './parse-order-by.ts'
import { parseSelect } from './parse-select.ts'
import { parseTop } from './parse-top.ts'
import { queryError } from './query-error.ts'

/** The parsed system query options of one request. Absent options are absent properties. */
export interface ParsedQueryOptions {
  readonly filter?: FilterNode
  /** Column logical names in request order; absent means all columns. */
  readonly select?: readonly string[]
  readonly orderBy?: readonly OrderByItem[]
  readonly top?: number
  /** $count=true. */
  readonly count: boolean
  /** $expand text, unparsed (not implemented yet; the caller decides what to do with it). */
  readonly expand?: string
  /** $skiptoken text, unparsed: an opaque paging cookie the caller issued and decodes. */
  readonly skipToken?: string
  /** $apply: filter steps, groupby and aggregates (dataverse-spec §7). */
  readonly apply?: ApplyNode
}

/** dataverse-spec §7: known OData options Dataverse (or this server) doesn't support. */
const UNSUPPORTED_OPTIONS: ReadonlySet<string> = new Set(['$skip', '$search', '$format'])
const ALIAS_NAME = /^@[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Parses the query string parameters of a Web API collection request for `table`
 * (dataverse-spec §7 Query options). Names are case-sensitive. Handles $filter, $select,
 * $orderby, $top, $count, $apply, $expand (passed through), $skiptoken (passed through) and
 * parameter aliases (`@p1`, used by $filter, $orderby and $apply's filter steps). Parameters that start with neither
 * '$' nor '@' are not query options and are ignored (e.g. `tag`).
 *
 * @param params decoded query parameters, one value per name
 * @throws AppError QUERY_UNSUPPORTED for $skip, $search and $format, QUERY_INVALID
 *   for any other unknown '$' option or malformed value, plus the errors of each option parser
 */
export function parseQueryOptions(
  params: Readonly<Record<string, string>>,
  table: TableDef,
): ParsedQueryOptions {
  const aliases: Record<string, string> = {}
  for (const [name, value] of Object.entries(params)) {
    if (!name.startsWith('@')) continue
    if (!ALIAS_NAME.test(name)) {
      throw queryError('QUERY_INVALID', 'A parameter alias name must be @ followed by a name.')
    }
    aliases[name] = value
  }
  const frozen: AliasValues = aliases

  let result: ParsedQueryOptions = { count: false }
  for (const [name, value] of Object.entries(params)) {
    if (!name.startsWith('$')) continue
    switch (name) {
      case '$filter':
        result = { ...result, filter: parseFilter(value, table, frozen) }
        break
      case '$select':
        result = { ...result, select: parseSelect(value, table) }
        break
      case '$orderby':
        result = { ...result, orderBy: parseOrderBy(value, table, frozen) }
        break
      case '$top':
        result = { ...result, top: parseTop(value) }
        break
      case '$count':
        if (value !== 'true' && value !== 'false') {
          throw queryError('QUERY_INVALID', '$count must be true or false.')
        }
        result = { ...result, count: value === 'true' }
        break
      case '$expand':
        result = { ...result, expand: passThrough(name, value) }
        break
      case '$apply':
        result = { ...result, apply: parseApply(value, table, frozen) }
        break
      case '$skiptoken':
        result = { ...result, skipToken: passThrough(name, value) }
        break
      default:
        if (UNSUPPORTED_OPTIONS.has(name)) {
          throw queryError('QUERY_UNSUPPORTED', `The query option ${name} is not supported.`)
        }
        throw queryError('QUERY_INVALID', 'Unknown query option (names are case-sensitive).')
    }
  }
  return result
}

function passThrough(name: string, value: string): string {
  if (value.length > MAX_OPTION_LENGTH) {
    throw queryError('QUERY_TOO_COMPLEX', `${name} is longer than ${MAX_OPTION_LENGTH} characters.`)
  }
  return value
}
