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
  // One pass over `columns`: the common case (no encrypted column selected) costs just that.
  let open: Map<string, OpenColumn> | undefined
  let pending: Promise<void>[] | undefined
  for (const c of columns) {
    if (c.options.encrypted !== true || !rows.some((row) => row[c.name] != null)) continue
    const aad =
      ctx.columnAad?.get(ctx.environmentId, table, c.name) ??
      new ColumnAad(ctx.environmentId, table.name, c.name)
    const key = cachedCellKey(ctx, table.name, c.name)
    const byName = (open ??= new Map())
    if (key instanceof Promise) {
      ;(pending ??= []).push(key.then((known) => void byName.set(c.name, { key: known, aad })))
    } else {
      byName.set(c.name, { key, aad })
    }
  }
  if (open === undefined) return rows.map((row) => toRecord(columns, row))
  const cells = open
  if (pending !== undefined) {
    return Promise.all(pending).then(() => openRows(table, columns, rows, cells))
  }
  return openRows(table, columns, rows, cells)
}

function openRows(
  table: TableDef,
  columns: readonly ColumnDef[],
  rows: readonly StoredRow[],
  open: ReadonlyMap<string, OpenColumn>,
): RecordData[] {
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
