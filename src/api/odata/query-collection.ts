import {
  compileKeysetAfter,
  compileOrderBy,
  MAX_COUNT,
  parseQueryOptions,
  type ParsedQueryOptions,
  type WhereFactory,
} from '../../query/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { aggregateCollection } from './aggregate-collection.ts'
import { TOTAL_RECORD_COUNT, TOTAL_RECORD_COUNT_LIMIT_EXCEEDED } from './annotations.ts'
import { resolveLookupTargets } from './lookup-targets.ts'
import { badRequest } from './odata-errors.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'
import { parseExpand } from './parse-expand.ts'
import { recordWriter, shownColumns } from './record-json.ts'
import { appliedPreferences } from './response-headers.ts'
import { columnsForExpand, runExpand } from './run-expand.ts'
import { decodeSkipToken, encodeSkipToken, queryFingerprint } from './skip-token.ts'

/**
 * GET /<entityset>: a query (dataverse-spec §7 Query options, Paging). $filter, $select,
 * $orderby, $top, $count and $expand compile to SQL through src/query with the caller's scope
 * ANDed in. Paging: `Prefer: odata.maxpagesize=N` (default and maximum 5,000; $top is ignored
 * when it is given) with keyset paging behind an opaque $skiptoken in `@odata.nextLink`.
 */
export async function queryCollection(op: Operation, table: TableDef): Promise<ODataResponse> {
  const options = parseQueryOptions(op.req.query, table)
  if (options.apply !== undefined) return aggregateCollection(op, table, options)
  const scope = scopeFor(op, table, 'query')
  const items = options.expand === undefined ? [] : await parseExpand(op, table, options.expand)
  // A token is bound to the caller, and under impersonation to the pair (docs/authz.md §8).
  const { caller } = op.api
  const callerKey =
    caller.impersonator === undefined
      ? caller.systemUserId
      : `${caller.systemUserId}/${caller.impersonator.systemUserId}`
  const fingerprint = queryFingerprint(table.name, callerKey, op.req.query)
  const token =
    options.skipToken === undefined ? undefined : decodeSkipToken(options.skipToken, fingerprint)
  if (token !== undefined && op.prefer.maxPageSize !== undefined) {
    if (token.pageSize !== op.prefer.maxPageSize) {
      throw badRequest('The $skiptoken was issued for another odata.maxpagesize.')
    }
  }
  const paged =
    op.prefer.maxPageSize !== undefined || options.top === undefined || token !== undefined
  const pageSize = token?.pageSize ?? op.prefer.maxPageSize ?? op.limits.maxPageSize
  const limit = paged ? pageSize + 1 : (options.top ?? pageSize)

  const terms = compileOrderBy(options.orderBy, table)
  let where: WhereFactory | undefined
  if (token !== undefined) {
    // The token holds the sort values of the next page's first row, whose primary id is the
    // last term: that row, or any row sorting after it.
    const after = compileKeysetAfter(terms, token.values)
    const idIndex = terms.findIndex((t) => t.column === table.primaryIdColumn)
    const firstId = token.values[idIndex]
    if (typeof firstId !== 'string') throw badRequest('The $skiptoken is invalid.')
    const idRef = `${table.name}.${table.primaryIdColumn}`
    where = (eb) => eb.or([eb(eb.ref(idRef), '=', firstId), after(eb)])
  }
  const extra = columnsForExpand(items)
  const select =
    options.select === undefined ? undefined : [...new Set([...options.select, ...extra])]
  const query: ParsedQueryOptions = {
    count: false,
    ...(select === undefined ? {} : { select }),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
    ...(options.orderBy === undefined ? {} : { orderBy: options.orderBy }),
  }
  const result = await op.records.queryRecords(op.env, table.name, query, {
    ...withScope(scope),
    ...(where === undefined ? {} : { where }),
    limit,
  })
  const more = paged && result.records.length > pageSize
  const records = more ? result.records.slice(0, pageSize) : result.records

  const body: Record<string, unknown> = {
    '@odata.context': `${op.api.webApiUrl}$metadata#${table.entitySetName}${selectSuffix(options.select)}`,
  }
  const want = op.prefer.annotations
  if (options.count) {
    const n = await op.records.countRecords(op.env, table.name, query, withScope(scope))
    body['@odata.count'] = Math.min(n, MAX_COUNT)
    if (want?.(TOTAL_RECORD_COUNT) === true) {
      body[`@${TOTAL_RECORD_COUNT}`] = Math.min(n, MAX_COUNT)
    }
    if (want?.(TOTAL_RECORD_COUNT_LIMIT_EXCEEDED) === true) {
      body[`@${TOTAL_RECORD_COUNT_LIMIT_EXCEEDED}`] = n > MAX_COUNT
    }
  } else if (want?.(TOTAL_RECORD_COUNT) === true) {
    // dataverse-spec §7: without $count, totalrecordcount is -1.
    body[`@${TOTAL_RECORD_COUNT}`] = -1
  }
  const write = recordWriter(table, {
    annotations: want,
    lookups: await resolveLookupTargets(op, table, records),
    columns: shownColumns(table, options.select),
  })
  const value = records.map((r) => write(r))
  if (items.length > 0) await runExpand(op, table, records, value, items)
  body['value'] = value
  if (more && result.lastRow !== undefined) {
    const last = result.lastRow
    const next = encodeSkipToken(
      terms.map((t) => last[t.column] ?? null),
      pageSize,
      fingerprint,
    )
    body['@odata.nextLink'] = nextLink(op, table, next)
  }
  return { status: 200, headers: appliedPreferences(op), body }
}

function selectSuffix(select: readonly string[] | undefined): string {
  return select === undefined ? '' : `(${select.join(',')})`
}

/** The same request with the new $skiptoken (dataverse-spec §7: follow it unchanged). */
function nextLink(op: Operation, table: TableDef, token: string): string {
  const params: string[] = []
  for (const [name, value] of Object.entries(op.req.query)) {
    if (name !== '$skiptoken') params.push(`${encodeName(name)}=${encodeURIComponent(value)}`)
  }
  params.push(`$skiptoken=${token}`)
  return `${op.api.webApiUrl}${table.entitySetName}?${params.join('&')}`
}

/** Query option names keep their leading $ or @. */
const encodeName = (name: string): string => name.slice(0, 1) + encodeURIComponent(name.slice(1))
