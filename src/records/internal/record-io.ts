import type { EnvDb } from '../../storage/index.ts'
import { AppError } from '../../shared/errors.ts'
import { decodeValue, type CellOpener } from '../decode-value.ts'
import type { ColumnDef, RecordData, RecordValue, TableDef } from '../model.ts'
import type { RecordOperation, RecordScope } from '../record-scope.ts'

/** A column by logical name. @throws AppError COLUMN_NOT_FOUND naming it (when it is a name) */
export function columnOf(table: TableDef, name: string): ColumnDef {
  const column = table.columns.find((c) => c.name === name)
  if (column === undefined) {
    const printable = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)
    throw new AppError(
      'COLUMN_NOT_FOUND',
      printable
        ? `Table '${table.name}' has no column '${name}'.`
        : `Table '${table.name}' has no column of that name.`,
      { details: [{ path: printable ? name : '(column)', message: 'no such column' }] },
    )
  }
  return column
}

/**
 * The columns to read: all in definition order, or the selected ones (request order) plus the
 * primary id and versionnumber, which every returned record carries.
 */
export function selectedColumns(table: TableDef, select?: readonly string[]): ColumnDef[] {
  if (select === undefined) return [...table.columns]
  const names = new Set(select.map((name) => columnOf(table, name).name))
  names.add(table.primaryIdColumn)
  names.add('versionnumber')
  return [...names].map((name) => columnOf(table, name))
}

/**
 * A stored row as a client record (column → RecordValue) for `columns`. Rows with encrypted
 * columns among `columns` need `openCell` (decodeRecords supplies it).
 */
export function toRecord(
  columns: readonly ColumnDef[],
  row: Readonly<Record<string, unknown>>,
  openCell?: CellOpener,
): RecordData {
  const record: Record<string, RecordValue> = {}
  for (const c of columns) record[c.name] = decodeValue(c, row[c.name], openCell)
  return record
}

/** Does a record with this id exist, whatever the scope? */
export async function recordExists(trx: EnvDb, table: TableDef, id: string): Promise<boolean> {
  const row = await trx
    .selectFrom(table.name)
    .select(table.primaryIdColumn)
    .where(table.primaryIdColumn, '=', id)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * The error for a record that wasn't found within `scope`: the scope's own error when it
 * exists outside the scope (and inside `scope.readable`, when given) and the scope has one,
 * RECORD_NOT_FOUND otherwise.
 */
export async function missingRecord(
  trx: EnvDb,
  table: TableDef,
  id: string,
  operation: RecordOperation,
  scope: RecordScope | undefined,
): Promise<AppError> {
  if (scope?.denied !== undefined) {
    // Only a record the caller may see gets the scope's error; others stay "not found".
    const readable = scope.readable
    let query = trx
      .selectFrom(table.name)
      .select(table.primaryIdColumn)
      .where(table.primaryIdColumn, '=', id)
    if (readable !== undefined) query = query.where((eb) => readable(eb, table))
    if ((await query.executeTakeFirst()) !== undefined) return scope.denied(operation, table)
  }
  return new AppError('RECORD_NOT_FOUND', `No ${table.name} record has that id.`)
}

/** Parses an expected versionnumber (from an ETag). @throws AppError VALIDATION */
export function parseIfVersion(value: number | string | bigint): bigint {
  const text = String(value)
  if (!/^\d{1,19}$/.test(text)) {
    throw new AppError('VALIDATION', 'The expected version is not a version number.', {
      details: [{ path: 'ifVersion', message: 'expected a non-negative whole number' }],
    })
  }
  return BigInt(text)
}
