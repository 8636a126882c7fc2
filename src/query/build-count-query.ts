import type { Expression, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import type { TableDef } from '../records/model.ts'
import { findColumn } from './column-ref.ts'
import { compileFilter, type CompileFilterOptions } from './compile-filter.ts'
import type { DynamicDb, DynamicExpressionBuilder } from './dynamic-db.ts'
import { MAX_COUNT } from './limits.ts'
import type { ParsedQueryOptions } from './parse-query-options.ts'

/** Row shape of buildCountQuery: SQLite returns a number, PostgreSQL a string or bigint. */
export interface CountRow {
  readonly count: number | string | bigint
}

/**
 * Builds a query counting the rows that match $filter and `extraWhere`, ignoring $top,
 * $orderby and $select (OData $count). Counting stops at MAX_COUNT + 1 rows, so a result
 * above MAX_COUNT means "more than 5,000" (dataverse-spec §7: @odata.count is capped at
 * 5,000; report MAX_COUNT with totalrecordcountlimitexceeded).
 *
 * `compile` carries the blind indexer for `eq` on encrypted columns (see compileFilter); `cap`
 * replaces MAX_COUNT (e.g. the 50,000 rows an aggregation may read).
 *
 * @throws AppError COLUMN_NOT_FOUND, QUERY_INVALID or QUERY_ENCRYPTED_COLUMN if `options`
 *   doesn't fit `table`
 */
export function buildCountQuery(
  db: Kysely<DynamicDb>,
  table: TableDef,
  options: ParsedQueryOptions,
  extraWhere?: (eb: DynamicExpressionBuilder) => Expression<SqlBool>,
  compile: CompileFilterOptions = {},
  cap: number = MAX_COUNT,
): SelectQueryBuilder<DynamicDb, string, CountRow> {
  const id = findColumn(table, table.primaryIdColumn)
  let matched = db.selectFrom(table.name).select(`${table.name}.${id.name}`)
  if (options.filter !== undefined)
    matched = matched.where(compileFilter(options.filter, table, compile))
  if (extraWhere !== undefined) matched = matched.where(extraWhere)
  return db
    .selectFrom(matched.limit(cap + 1).as('matched'))
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
}
