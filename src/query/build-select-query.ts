import type { Expression, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import type { TableDef } from '../records/model.ts'
import { compileFilter, type CompileFilterOptions } from './compile-filter.ts'
import { compileOrderBy } from './compile-order-by.ts'
import { compileSelect } from './compile-select.ts'
import type { DynamicDb, DynamicExpressionBuilder } from './dynamic-db.ts'
import { MAX_TOP } from './limits.ts'
import type { ParsedQueryOptions } from './parse-query-options.ts'

/** A select over a dynamic table; rows are column name → stored value. */
export type DynamicSelectQuery = SelectQueryBuilder<DynamicDb, string, Record<string, unknown>>

/**
 * Builds `SELECT <columns> FROM <table> WHERE <filter> AND <extraWhere> ORDER BY <terms>
 * LIMIT <top or MAX_TOP>`.
 *
 * The selected columns are compileSelect's plus any sort column not already in it, so the
 * caller can read the last row's sort values for a skip token (strip them from the response
 * if they weren't selected). `extraWhere` is ANDed in for row-level security or keyset paging
 * (combine several with `eb.and([...])`). Call `.limit()` again to override the limit (for
 * example maxpagesize + 1 to detect a next page).
 *
 * `compile` carries the blind indexer for `eq` on encrypted columns (see compileFilter).
 *
 * @throws AppError COLUMN_NOT_FOUND, QUERY_INVALID or QUERY_ENCRYPTED_COLUMN if `options`
 *   doesn't fit `table`
 */
export function buildSelectQuery(
  db: Kysely<DynamicDb>,
  table: TableDef,
  options: ParsedQueryOptions,
  extraWhere?: (eb: DynamicExpressionBuilder) => Expression<SqlBool>,
  compile: CompileFilterOptions = {},
): DynamicSelectQuery {
  const terms = compileOrderBy(options.orderBy, table)
  const columns = new Set(compileSelect(options.select, table))
  for (const term of terms) columns.add(term.column)
  let query: DynamicSelectQuery = db
    .selectFrom(table.name)
    .select([...columns].map((name) => `${table.name}.${name}`))
  if (options.filter !== undefined)
    query = query.where(compileFilter(options.filter, table, compile))
  if (extraWhere !== undefined) query = query.where(extraWhere)
  for (const term of terms) query = query.orderBy(term.expression, term.modifiers)
  return query.limit(options.top ?? MAX_TOP)
}
