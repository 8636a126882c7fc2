import type { Expression, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import type { TableDef } from '../records/model.ts'
import { findColumn } from './column-ref.ts'
import { compileFilter, type CompileFilterOptions } from './compile-filter.ts'
import type { DynamicDb, DynamicExpressionBuilder } from './dynamic-db.ts'
import type { ApplyAggregate, ApplyNode } from './parse-apply.ts'

/** The SQL name of the i-th groupby property in buildAggregateQuery's rows. */
export const groupKey = (i: number): string => `g${String(i)}`
/** The SQL name of the i-th aggregate in buildAggregateQuery's rows. */
export const aggregateKey = (i: number): string => `a${String(i)}`

/**
 * Builds `SELECT <groupby columns>, <aggregates> FROM <table> WHERE <filter steps> AND
 * <extraWhere> GROUP BY <groupby columns> ORDER BY <groupby columns>` for a parsed $apply.
 * Result columns are named positionally (groupKey, aggregateKey), never by client aliases, so
 * only metadata names reach the SQL text. `extraWhere` carries the row-level security scope.
 *
 * @throws AppError COLUMN_NOT_FOUND if `apply` doesn't fit `table`; the errors of compileFilter
 */
export function buildAggregateQuery(
  db: Kysely<DynamicDb>,
  table: TableDef,
  apply: ApplyNode,
  extraWhere?: (eb: DynamicExpressionBuilder) => Expression<SqlBool>,
  compile: CompileFilterOptions = {},
): SelectQueryBuilder<DynamicDb, string, Record<string, unknown>> {
  const groupRefs = apply.groupBy.map((g) => `${table.name}.${findColumn(table, g.column).name}`)
  let query = db
    .selectFrom(table.name)
    .select((eb) => [
      ...groupRefs.map((ref, i) => eb.ref(ref).as(groupKey(i))),
      ...apply.aggregates.map((a, i) => aggregate(eb, table, a).as(aggregateKey(i))),
    ])
  if (apply.filter !== undefined) query = query.where(compileFilter(apply.filter, table, compile))
  if (extraWhere !== undefined) query = query.where(extraWhere)
  for (const ref of groupRefs) query = query.groupBy(ref).orderBy(ref)
  return query
}

function aggregate(eb: DynamicExpressionBuilder, table: TableDef, a: ApplyAggregate) {
  if (a.kind === 'count') return eb.fn.countAll()
  const ref = eb.ref(`${table.name}.${findColumn(table, a.column).name}`)
  switch (a.method) {
    case 'sum':
      return eb.fn.sum(ref)
    case 'average':
      return eb.fn.avg(ref)
    case 'min':
      return eb.fn.min(ref)
    case 'max':
      return eb.fn.max(ref)
    case 'countdistinct':
      return eb.fn.count(ref).distinct()
  }
}
