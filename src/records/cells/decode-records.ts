import type { Secret } from '../../shared/secret.ts'
import type { RecordsContext } from '../internal/context.ts'
import { toRecord } from '../internal/record-io.ts'
import type { ColumnDef, RecordData, TableDef } from '../model.ts'
import { cachedCellKey } from './cell-keys.ts'
import { ColumnAad } from './column-aad.ts'

type StoredRow = Readonly<Record<string, unknown>>

/** An encrypted column being read: its cell key and the column part of its cells' AAD. */
interface OpenColumn {
  readonly key: Secret
  readonly aad: ColumnAad
}

/**
 * Stored rows of `table` as client records for `columns` (toRecord), opening the encrypted
 * cells among `columns` only: an encrypted column that isn't selected is never decrypted, and
 * a read that selects none never asks for the field key. Each column's cell key is derived
 * once per open handle (cachedCellKey) and zeroed with the field key when the handle closes.
 *
 * Synchronous when the cell keys are already derived on this handle (the common case after the
 * first read), so a point read stays on the synchronous path; a promise when a key must first
 * be derived (or the field key unwrapped).
 * @throws AppError DECRYPT_FAILED for a cell that doesn't authenticate as its own
 */
export function decodeRecords(
  ctx: RecordsContext,
  table: TableDef,
  columns: readonly ColumnDef[],
  rows: readonly StoredRow[],
): RecordData[] | Promise<RecordData[]> {
  // The common case (no encrypted column selected) costs one scan of `columns`.
  if (!columns.some((c) => c.options.encrypted === true)) {
    return rows.map((row) => toRecord(columns, row))
  }
  const encrypted = columns.filter(
    (c) => c.options.encrypted === true && rows.some((row) => row[c.name] != null),
  )
  if (encrypted.length === 0) return rows.map((row) => toRecord(columns, row))
  const keys = encrypted.map((c) => cachedCellKey(ctx, table.name, c.name))
  if (keys.every((k) => !(k instanceof Promise))) {
    return openRows(ctx, table, columns, rows, encrypted, keys as Secret[])
  }
  return Promise.all(keys.map(async (k) => k)).then((known) =>
    openRows(ctx, table, columns, rows, encrypted, known),
  )
}

function openRows(
  ctx: RecordsContext,
  table: TableDef,
  columns: readonly ColumnDef[],
  rows: readonly StoredRow[],
  encrypted: readonly ColumnDef[],
  keys: readonly Secret[],
): RecordData[] {
  const open = new Map<string, OpenColumn>()
  encrypted.forEach((c, i) => {
    const key = keys[i]
    if (key === undefined) throw new TypeError(`no cell key for ${c.name}`)
    const aad =
      ctx.columnAad?.get(ctx.environmentId, table, c.name) ??
      new ColumnAad(ctx.environmentId, table.name, c.name)
    open.set(c.name, { key, aad })
  })
  return rows.map((row) => {
    const recordId = row[table.primaryIdColumn]
    if (typeof recordId !== 'string') throw new TypeError('the primary id must be read too')
    return toRecord(columns, row, (column, sealed) => {
      const cells = open.get(column.name)
      if (cells === undefined) throw new TypeError(`no cell key for ${column.name}`)
      return cells.aad.open(cells.key, recordId, sealed)
    })
  })
}

/** decodeRecords for one row (synchronous under the same condition). */
export function decodeRecord(
  ctx: RecordsContext,
  table: TableDef,
  columns: readonly ColumnDef[],
  row: StoredRow,
): RecordData | Promise<RecordData> {
  const records = decodeRecords(ctx, table, columns, [row])
  return records instanceof Promise ? records.then(onlyRecord) : onlyRecord(records)
}

function onlyRecord(records: readonly RecordData[]): RecordData {
  const [record] = records
  if (record === undefined) throw new TypeError('one row in, one record out')
  return record
}
