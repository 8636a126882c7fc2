import { sql } from 'kysely'
import { AppError } from '../shared/errors.ts'
import type { RecordsContext } from './internal/context.ts'
import { columnOf } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import { writeColumnOptions } from './internal/table-ddl.ts'
import type { ColumnDef, TableDef } from './model.ts'

/** The result of setColumnSecured. */
export interface ColumnSecuredResult {
  readonly column: ColumnDef
  /** False when the column already was as asked. */
  readonly changed: boolean
}

/**
 * Why a column can't be secured (dataverse-spec §3 "Column (field) level security": ids,
 * ownership, system columns and lookups can't), or undefined when it can.
 */
export function securedRefusal(table: TableDef, column: ColumnDef): string | undefined {
  if (column.primary !== undefined) return 'primary id and primary name columns'
  if (column.system) return 'system columns'
  if (column.type === 'lookup') return 'lookup columns'
  if (table.system) return 'columns of system tables'
  return undefined
}

/**
 * Marks a column secured (Dataverse `IsSecured`, column security, docs/authz.md §12) or
 * unsecured. Only the metadata changes; stored values stay as they are. Every process reads
 * the catalog again on its next request (the schema version moves).
 *
 * @throws AppError VALIDATION (input, a column that can't be secured), TABLE_NOT_FOUND,
 *   COLUMN_NOT_FOUND
 */
export async function setColumnSecured(
  ctx: RecordsContext,
  tableName: string,
  columnName: string,
  secured: boolean,
): Promise<ColumnSecuredResult> {
  if (typeof secured !== 'boolean') {
    throw new AppError('VALIDATION', 'secured must be true or false.', {
      details: [{ path: 'secured', message: 'expected a boolean' }],
    })
  }
  return ctx.db.transaction().execute(async (trx) => {
    const table = findTable(await ctx.catalog(trx), tableName)
    const column = columnOf(table, columnName)
    if ((column.options.secured === true) === secured) return { column, changed: false }
    const refusal = securedRefusal(table, column)
    if (secured && refusal !== undefined) {
      throw new AppError(
        'VALIDATION',
        `Column '${table.name}.${column.name}' can't be secured: ${refusal} can't be.`,
        { details: [{ path: 'secured', message: `${refusal} can't be secured` }] },
      )
    }
    const options = { ...column.options }
    delete options.secured
    const next: ColumnDef = {
      ...column,
      options: secured ? { ...options, secured: true } : options,
    }
    await writeColumnOptions(trx, table, next)
    // The table catalog is cached until SQLite's schema version moves (every process checks
    // it); a metadata-only change moves it with an empty DDL round trip in this transaction.
    await sql`create table _metadata_bump (x integer) strict`.execute(trx)
    await sql`drop table _metadata_bump`.execute(trx)
    return { column: next, changed: true }
  })
}
