import type { ParsedQueryOptions } from '../../query/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { unsupported } from './odata-errors.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'

/**
 * GET /<entityset>?$apply=…: grouping and aggregation (dataverse-spec §7 $apply), computed in
 * SQL over the rows the caller may read (the same scope as a query) after $apply's filter
 * steps, reading at most 50,000 records. Column security refuses any secured column the caller
 * can't read, wherever $apply names it (authz withColumnSecurity). $top limits the groups;
 * $filter, $select, $orderby, $expand, $count and $skiptoken don't combine with $apply (put
 * the filter in `filter(...)`); rows come ordered by the groupby properties.
 */
export async function aggregateCollection(
  op: Operation,
  table: TableDef,
  options: ParsedQueryOptions,
): Promise<ODataResponse> {
  const apply = options.apply
  if (apply === undefined) throw new TypeError('aggregateCollection needs $apply')
  if (
    options.filter !== undefined ||
    options.select !== undefined ||
    options.orderBy !== undefined ||
    options.expand !== undefined ||
    options.skipToken !== undefined ||
    options.count
  ) {
    throw unsupported(
      '$apply combines only with $top: put the filter in filter(...) inside $apply; $select, $orderby, $expand, $count and $skiptoken do not apply to aggregates.',
    )
  }
  const rows = await op.records.aggregateRecords(op.env, table.name, apply, {
    ...withScope(scopeFor(op, table, 'query')),
    ...(options.top === undefined ? {} : { limit: options.top }),
    maxRecords: op.limits.maxAggregateRecords,
  })
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#${table.entitySetName}`,
      value: rows,
    },
  }
}
