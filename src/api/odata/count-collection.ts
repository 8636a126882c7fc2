import { MAX_COUNT, parseQueryOptions } from '../../query/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { badRequest } from './odata-errors.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'

/**
 * GET /<entityset>/$count: the number of rows the caller can read that match $filter, as
 * text/plain, capped at 5,000 like Dataverse (dataverse-spec §7 $count).
 */
export async function countCollection(op: Operation, table: TableDef): Promise<ODataResponse> {
  const options = parseQueryOptions(op.req.query, table)
  if (
    options.expand !== undefined ||
    options.skipToken !== undefined ||
    options.apply !== undefined
  ) {
    throw badRequest('Only $filter applies to /$count.')
  }
  const n = await op.records.countRecords(
    op.env,
    table.name,
    options.filter === undefined ? { count: false } : { count: false, filter: options.filter },
    withScope(scopeFor(op, table, 'query')),
  )
  return {
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: String(Math.min(n, MAX_COUNT)),
  }
}
