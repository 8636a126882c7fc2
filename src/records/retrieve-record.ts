import { parseGuid } from '../shared/ids.ts'
import type { RecordsContext } from './internal/context.ts'
import { selectStored } from './cells/cell-selection.ts'
import { decodeRecord } from './cells/decode-records.ts'
import { missingRecord, selectedColumns } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import type { RecordData } from './model.ts'
import type { RecordScope } from './record-scope.ts'

/** Options of retrieveRecord. */
export interface RetrieveRecordOptions {
  /** Columns to return (the primary id and versionnumber always are). Default: all. */
  readonly select?: readonly string[]
  readonly scope?: RecordScope
}

/**
 * Reads one record by id.
 *
 * @throws AppError TABLE_NOT_FOUND, COLUMN_NOT_FOUND (select), VALIDATION (id not a GUID),
 *   RECORD_NOT_FOUND (or the scope's error)
 */
export async function retrieveRecord(
  ctx: RecordsContext,
  tableName: string,
  id: string,
  options: RetrieveRecordOptions = {},
): Promise<RecordData> {
  const recordId = parseGuid(id, 'record id')
  const table = findTable(ctx.currentCatalog?.() ?? (await ctx.catalog(ctx.db)), tableName)
  const select = options.select
  // Every column: the definition's own list (no copy); a $select: the request's columns.
  const columns = select === undefined ? table.columns : selectedColumns(table, select)
  const scope = options.scope
  const query = () => {
    const q = ctx.db
      .selectFrom(table.name)
      .select(columns.map(selectStored))
      .where(table.primaryIdColumn, '=', recordId)
    return scope === undefined ? q : q.where((eb) => scope.where(eb, table))
  }
  // The hot path: one synchronous statement when no transaction holds the connection; the
  // unscoped statement's SQL is compiled once per table and column list (its one parameter
  // is the id).
  let found: { readonly row: Record<string, unknown> | undefined } | undefined
  if (ctx.reader !== undefined) {
    if (scope === undefined && ctx.statements !== undefined) {
      const text = ctx.statements.get(
        table,
        select === undefined ? 'get:*' : `get:${columns.map((c) => c.name).join(',')}`,
        () => query().compile().sql,
      )
      found = ctx.reader.tryGet(text, [recordId])
    } else {
      const compiled = query().compile()
      found = ctx.reader.tryGet(compiled.sql, compiled.parameters)
    }
  }
  const row = found === undefined ? await query().executeTakeFirst() : found.row
  if (row === undefined) throw await missingRecord(ctx.db, table, recordId, 'retrieve', scope)
  return decodeRecord(ctx, table, columns, row)
}
