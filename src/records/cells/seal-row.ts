import type { RecordsContext } from '../internal/context.ts'
import type { StorageRow } from '../internal/encode-record.ts'
import type { TableDef } from '../model.ts'
import { blindIndexColumnOf, blindIndexOf } from './blind-index.ts'
import { cachedBlindIndexKey, cachedCellKey } from './cell-keys.ts'
import { sealCell } from './seal-cell.ts'

/**
 * Replaces the plaintext of every encrypted column a write sets with its sealed cell, bound to
 * this environment, table, column and `recordId`, and sets the blind index companion of those
 * that have one. Null stays null (in both). The field key is asked for only when the write
 * sets an encrypted column.
 */
export async function sealRow(
  ctx: RecordsContext,
  table: TableDef,
  row: StorageRow,
  recordId: string,
): Promise<void> {
  const encrypted = table.columns.filter((c) => c.options.encrypted === true && row.has(c.name))
  if (encrypted.length === 0) return
  for (const column of encrypted) {
    const value = row.get(column.name) ?? null
    const indexed = column.options.blindIndex === true
    if (value === null) {
      if (indexed) row.set(blindIndexColumnOf(column), null)
      continue
    }
    if (typeof value !== 'string') throw new TypeError(`${column.name}: expected text to seal`)
    const key = await cachedCellKey(ctx, table.name, column.name)
    const address = {
      environmentId: ctx.environmentId,
      table: table.name,
      column: column.name,
      recordId,
    }
    row.set(column.name, sealCell(key, address, value, ctx.random))
    if (indexed) {
      const indexKey = await cachedBlindIndexKey(ctx, table.name, column.name)
      row.set(blindIndexColumnOf(column), blindIndexOf(indexKey, value))
    }
  }
}
