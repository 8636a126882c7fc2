import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'

/**
 * Kysely database type for tables known only at run time (described by TableDef). Every
 * table is a record of unknown column values; names come from TableDef metadata only.
 */
export type DynamicDb = Record<string, Record<string, unknown>>

/** Expression builder over DynamicDb, as passed to `.where(...)` callbacks. */
export type DynamicExpressionBuilder = ExpressionBuilder<DynamicDb, string>

/** A composable WHERE predicate: pass it to `.where(...)`, or combine with `eb.and([...])`. */
export type WhereFactory = (eb: DynamicExpressionBuilder) => Expression<SqlBool>
