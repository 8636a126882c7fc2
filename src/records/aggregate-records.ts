import {
  aggregateKey,
  buildAggregateQuery,
  buildCountQuery,
  findColumn,
  groupKey,
  storageScale,
  type ApplyNode,
  type WhereFactory,
} from '../query/index.ts'
import { AppError } from '../shared/errors.ts'
import { filterOptionsFor } from './cells/blind-indexer.ts'
import { decodeValue } from './decode-value.ts'
import type { RecordsContext } from './internal/context.ts'
import { findTable } from './internal/table-catalog.ts'
import type { RecordValue, TableDef } from './model.ts'
import type { RecordScope } from './record-scope.ts'

/** dataverse-spec §7: an aggregation reads at most 50,000 records. */
export const MAX_AGGREGATE_RECORDS = 50_000

/** Options of aggregateRecords besides the $apply. */
export interface AggregateRecordsOptions {
  readonly scope?: RecordScope
  /** At most this many result rows ($top over the groups). */
  readonly limit?: number
  /** The most records the aggregation may read (default MAX_AGGREGATE_RECORDS). */
  readonly maxRecords?: number
}

/** One result row of aggregateRecords: groupby properties and aliases → values. */
export type AggregateRow = Readonly<Record<string, RecordValue>>

/**
 * Runs a parsed $apply against a table: its filter steps, the scope and the grouping and
 * aggregation all run in SQL (buildAggregateQuery); only the results are decoded. First counts
 * the matching records up to `maxRecords` + 1 (default MAX_AGGREGATE_RECORDS) and refuses a larger set, as Dataverse
 * does. Rows come ordered by the groupby properties; one row when there is no groupby.
 *
 * Values: groupby properties decode like record values (a lookup as its id); `$count` and
 * countdistinct are numbers; sum, min and max have the column's type (decimal and currency
 * unscaled); average is a number (decimal and currency unscaled). sum and average of no rows
 * are null.
 *
 * @throws AppError AGGREGATE_LIMIT_EXCEEDED, TABLE_NOT_FOUND, COLUMN_NOT_FOUND, QUERY_INVALID
 *   (a sum past the 64-bit range), QUERY_ENCRYPTED_COLUMN
 */
export async function aggregateRecords(
  ctx: RecordsContext,
  tableName: string,
  apply: ApplyNode,
  extra: AggregateRecordsOptions = {},
): Promise<AggregateRow[]> {
  const table = findTable(await ctx.catalog(ctx.db), tableName)
  const scope = extra.scope
  const maxRecords = extra.maxRecords ?? MAX_AGGREGATE_RECORDS
  const scoped: WhereFactory | undefined =
    scope === undefined ? undefined : (eb) => scope.where(eb, table)
  const compile = await filterOptionsFor(ctx, table, apply.filter)
  const counted = await buildCountQuery(
    ctx.db,
    table,
    apply.filter === undefined ? { count: false } : { count: false, filter: apply.filter },
    scoped,
    compile,
    maxRecords,
  ).executeTakeFirstOrThrow()
  if (Number(counted.count) > maxRecords) {
    throw new AppError(
      'AGGREGATE_LIMIT_EXCEEDED',
      `The aggregation reads more than ${String(maxRecords)} records; narrow it with filter(...).`,
    )
  }
  let rows: Record<string, unknown>[]
  try {
    const query = buildAggregateQuery(ctx.db, table, apply, scoped, compile)
    rows = await (extra.limit === undefined ? query : query.limit(extra.limit)).execute()
  } catch (e) {
    if (e instanceof Error && /integer overflow/i.test(e.message)) {
      throw new AppError('QUERY_INVALID', 'A sum in $apply is outside the 64-bit integer range.', {
        cause: e,
      })
    }
    throw e
  }
  return rows.map((row) => decodeRow(table, apply, row))
}

function decodeRow(table: TableDef, apply: ApplyNode, row: Record<string, unknown>): AggregateRow {
  const out: Record<string, RecordValue> = {}
  apply.groupBy.forEach((g, i) => {
    out[g.output] = decodeValue(findColumn(table, g.column), row[groupKey(i)])
  })
  apply.aggregates.forEach((a, i) => {
    const stored = row[aggregateKey(i)]
    if (a.kind === 'count' || a.method === 'countdistinct') {
      out[a.alias] = Number(stored)
      return
    }
    const col = findColumn(table, a.column)
    if (a.method === 'average') {
      out[a.alias] =
        stored === null || stored === undefined ? null : Number(stored) / 10 ** storageScale(col)
      return
    }
    // sum, min and max keep the column's storage class (STRICT tables: an integer column's sum
    // is an INTEGER, or an overflow error above), so they decode as a value of the column.
    out[a.alias] = decodeValue(col, stored)
  })
  return out
}
