import { buildCountQuery, type ParsedQueryOptions } from '../query/index.ts'
import { filterOptionsFor } from './cells/blind-indexer.ts'
import type { RecordsContext } from './internal/context.ts'
import { findTable } from './internal/table-catalog.ts'
import type { RecordScope } from './record-scope.ts'

/**
 * Counts the records matching the query's $filter (and the scope), ignoring $select, $orderby
 * and $top. Counting stops past MAX_COUNT (5,000): a result of MAX_COUNT + 1 means "more"
 * (dataverse-spec §7: @odata.count is capped at 5,000).
 *
 * @throws AppError TABLE_NOT_FOUND, COLUMN_NOT_FOUND, QUERY_INVALID, QUERY_ENCRYPTED_COLUMN
 */
export async function countRecords(
  ctx: RecordsContext,
  tableName: string,
  options: ParsedQueryOptions,
  extra: { readonly scope?: RecordScope } = {},
): Promise<number> {
  const table = findTable(await ctx.catalog(ctx.db), tableName)
  const scope = extra.scope
  const row = await buildCountQuery(
    ctx.db,
    table,
    options,
    scope === undefined ? undefined : (eb) => scope.where(eb, table),
    await filterOptionsFor(ctx, table, options.filter),
  ).executeTakeFirstOrThrow()
  return Number(row.count)
}
