import {
  buildSelectQuery,
  MAX_TOP,
  type DynamicSelectQuery,
  type ParsedQueryOptions,
  type WhereFactory,
} from '../query/index.ts'
import type { Expression, SelectQueryBuilder, SqlBool } from 'kysely'
import type { CompileFilterOptions, DynamicDb } from '../query/index.ts'
import type { RecordsContext } from './internal/context.ts'
import { filterOptionsFor } from './cells/blind-indexer.ts'
import { decodeRecords } from './cells/decode-records.ts'
import { selectedColumns } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import type { RecordData, TableDef } from './model.ts'
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
  const compile = await filterOptionsFor(ctx, table, options.filter)
  const limit = extra.limit ?? options.top ?? MAX_TOP
  const predicates: WhereFactory[] = []
  if (extra.scope !== undefined) {
    const scope = extra.scope
    predicates.push((eb) => scope.where(eb, table))
    const branches = scope.branches
    if (branches !== undefined) {
      predicates.push((eb) => {
        const terms = branches(eb, table)
        if (terms.length < 2) return eb.lit(true)
        return eb(
          eb.ref(`${table.name}.rowid`),
          'in',
          firstOfBranches(ctx, table, options, terms, extra.where, compile, limit),
        )
      })
    }
  }
  if (extra.where !== undefined) predicates.push(extra.where)
  const query = buildSelectQuery(
    ctx.db,
    table,
    options,
    predicates.length === 0 ? undefined : (eb) => eb.and(predicates.map((p) => p(eb))),
    compile,
  )
    .select(`${table.name}.versionnumber`)
    .limit(limit)
  const rows = await query.execute()
  const last = rows.at(-1)
  return {
    records: await decodeRecords(ctx, table, columns, rows),
    ...(last === undefined ? {} : { lastRow: last }),
  }
}

/**
 * The rowids of the first `limit` rows (in the query's order) of each branch of a scope, as
 * one UNION ALL: each branch is a select with the query's filter, extra predicate, ORDER BY and
 * LIMIT, so SQLite runs it on the branch's own index and stops at the limit. The first `limit`
 * rows of the union of the branches are among these (docs/authz.md §5); the outer query still
 * applies the whole scope, filter and order to them.
 */
function firstOfBranches(
  ctx: RecordsContext,
  table: TableDef,
  options: ParsedQueryOptions,
  branches: readonly Expression<SqlBool>[],
  where: WhereFactory | undefined,
  compile: CompileFilterOptions,
  limit: number,
): SelectQueryBuilder<DynamicDb, string, Record<string, unknown>> {
  const arm = (branch: Expression<SqlBool>, i: number) => {
    const inner: DynamicSelectQuery = buildSelectQuery(
      ctx.db,
      table,
      { ...options, select: [table.primaryIdColumn] },
      (eb) => (where === undefined ? branch : eb.and([branch, where(eb)])),
      compile,
    )
      .clearSelect()
      .select((eb) => eb.ref(`${table.name}.rowid`).as('_rid'))
      .limit(limit)
    return ctx.db.selectFrom(inner.as(`_b${String(i)}`)).select(`_b${String(i)}._rid`)
  }
  let union = arm(branches[0] as Expression<SqlBool>, 0)
  for (let i = 1; i < branches.length; i++)
    union = union.unionAll(arm(branches[i] as Expression<SqlBool>, i))
  return union
}
