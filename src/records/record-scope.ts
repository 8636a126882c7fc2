import type { Expression, SqlBool } from 'kysely'
import type { DynamicExpressionBuilder } from '../query/index.ts'
import type { AppError } from '../shared/errors.ts'
import type { TableDef } from './model.ts'

/** The record operations a scope can restrict. */
export type RecordOperation = 'create' | 'retrieve' | 'update' | 'delete' | 'query'

/**
 * A row predicate for the security layer: every read and write of a record ANDs `where` into
 * its SQL. Reads (retrieve, query, count) see only matching rows. Update and delete act only on
 * a record that matches before the change; create checks the new row matches after insert (in
 * the same transaction, so a refused create leaves nothing). Lookup existence checks and
 * delete's remove-link updates on referencing records are not scoped (as in Dataverse, where
 * cascades run as the system).
 */
export interface RecordScope {
  readonly where: (eb: DynamicExpressionBuilder, table: TableDef) => Expression<SqlBool>
  /**
   * `where` split into predicates whose OR selects exactly the same rows. With two or more, a
   * query (ORDER BY … LIMIT n) runs one ordered, limited select per branch, each on its own
   * index, and keeps the first n of their union (docs/authz.md §5): an OR of terms on
   * different indexes can't be walked in order, so SQLite would read every row they match.
   */
  readonly branches?: (
    eb: DynamicExpressionBuilder,
    table: TableDef,
  ) => readonly Expression<SqlBool>[]
  /**
   * The error for a record that exists but is outside the predicate. Without it such a record
   * is reported as RECORD_NOT_FOUND (and create as RECORD_INVALID), revealing nothing.
   */
  readonly denied?: (operation: RecordOperation, table: TableDef) => AppError
  /**
   * The records the caller may see. With `denied`, only a record inside it gets `denied`'s
   * error; one outside is RECORD_NOT_FOUND, so existence is never revealed (docs/authz.md §6).
   * Absent: every record is visible.
   */
  readonly readable?: (eb: DynamicExpressionBuilder, table: TableDef) => Expression<SqlBool>
}
