import type { Secret } from '../../shared/secret.ts'
import type { RecordsContext } from '../internal/context.ts'
import { toRecord } from '../internal/record-io.ts'
import type { ColumnDef, RecordData, TableDef } from '../model.ts'
import { cachedCellKey } from './cell-keys.ts'
import { openCell } from './seal-cell.ts'

type StoredRow = Readonly<Record<string, unknown>>

/**
 * Stored rows of `table` as client records for `columns` (toRecord), opening the encrypted
 * cells among `columns` only: an encrypted column that isn't selected is never decrypted, and
 * a read that selects none never asks for the field key. Each column's cell key is derived
 * once per open handle (cachedCellKey) and zeroed with the field key when the handle closes.
 * @throws AppError DECRYPT_FAILED for a cell that doesn't authenticate as its own
 */
export async function decodeRecords(
  ctx: RecordsContext,
  table: TableDef,
  columns: readonly ColumnDef[],
  rows: readonly StoredRow[],
): Promise<RecordData[]> {
  // The common case (no encrypted column selected) costs one scan of `columns`.
  if (!columns.some((c) => c.options.encrypted === true)) {
    return rows.map((row) => toRecord(columns, row))
  }
  const encrypted = columns.filter(
    (c) => c.options.encrypted === true && rows.some((row) => row[c.name] != null),
  )
  if (encrypted.length === 0) return rows.map((row) => toRecord(columns, row))
  const keys = new Map<string, Secret>()
  for (const c of encrypted) keys.set(c.name, await cachedCellKey(ctx, table.name, c.name))
  return rows.map((row) => {
    const recordId = row[table.primaryIdColumn]
    if (typeof recordId !== 'string') throw new TypeError('the primary id must be read too')
    return toRecord(columns, row, (column, sealed) => {
      const key = keys.get(column.name)
      if (key === undefined) throw new TypeError(`no cell key for ${column.name}`)
      const address = {
        environmentId: ctx.environmentId,
        table: table.name,
        column: column.name,
        recordId,
      }
      return openCell(key, address, sealed)
    })
  })
}

/** decodeRecords for one row. */
export async function decodeRecord(
  ctx: RecordsContext,
  table: TableDef,
  columns: readonly ColumnDef[],
  row: StoredRow,
): Promise<RecordData> {
  const [record] = await decodeRecords(ctx, table, columns, [row])
  if (record === undefined) throw new TypeError('one row in, one record out')
  return record
}
