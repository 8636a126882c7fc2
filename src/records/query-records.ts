import { buildSelectQuery, type ParsedQueryOptions, type WhereFactory } from '../query/index.ts'
import type { RecordsContext } from './internal/context.ts'
import { filterOptionsFor } from './cells/blind-indexer.ts'
import { decodeRecords } from './cells/decode-records.ts'
import { selectedColumns } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import type { RecordData } from './model.ts'
import type { RecordScope } from './record-scope.ts'

/** Options of queryRecords besides the OData ones. */
export interface QueryRecordsOptions {
  readonly scope?: RecordScope
  /** Another predicate ANDed in, e.g. compileKeysetAfter(...) for the next page. */
  readonly where?: WhereFactory
  /** Overrides the row limit ($top or MAX_TOP), e.g. page size + 1 to detect a next page. */
  readonly limit?: number
}

/** The result of queryRecords. */
export interface QueryRecordsResult {
  /** Matching records: the $select columns (all when absent) plus primary id and versionnumber. */
  readonly records: readonly RecordData[]
  /**
   * The stored (undecoded) values of the last row, by column, including the $orderby columns:
   * what compileKeysetAfter needs for a skip token. Absent when there are no rows.
   */
  readonly lastRow?: Readonly<Record<string, unknown>>
}

/**
 * Runs a parsed OData query ($filter, $select, $orderby, $top) against a table. Filters, order
 * and limit are compiled into SQL by src/query; the scope predicate and `where` are ANDed in.
 * Parse `options` against the same table (getTable) first.
 *
 * Encrypted columns among the selected ones are decrypted (records/cells); `eq` on an
 * encrypted column with a blind index compares blind indexes.
 *
 * @throws AppError TABLE_NOT_FOUND, COLUMN_NOT_FOUND, QUERY_INVALID, QUERY_ENCRYPTED_COLUMN,
 *   DECRYPT_FAILED
 */
export async function queryRecords(
  ctx: RecordsContext,
  tableName: string,
  options: ParsedQueryOptions,
  extra: QueryRecordsOptions = {},
): Promise<QueryRecordsResult> {
  const table = findTable(await ctx.catalog(ctx.db), tableName)
  const columns = selectedColumns(table, options.select)
  const predicates: WhereFactory[] = []
  if (extra.scope !== undefined) {
    const scope = extra.scope
    predicates.push((eb) => scope.where(eb, table))
  }
  if (extra.where !== undefined) predicates.push(extra.where)
  let query = buildSelectQuery(
    ctx.db,
    table,
    options,
    predicates.length === 0 ? undefined : (eb) => eb.and(predicates.map((p) => p(eb))),
    await filterOptionsFor(ctx, table, options.filter),
  ).select(`${table.name}.versionnumber`)
  if (extra.limit !== undefined) query = query.limit(extra.limit)
  const rows = await query.execute()
  const last = rows.at(-1)
  return {
    records: await decodeRecords(ctx, table, columns, rows),
    ...(last === undefined ? {} : { lastRow: last }),
  }
}
