import type { EnvDb } from '../../storage/index.ts'
import type { ColumnDef, TableDef } from '../model.ts'
import type { StorageRow } from './encode-record.ts'
import { recordInvalid } from './record-invalid.ts'
import type { TableCatalog } from './table-catalog.ts'

/**
 * The table holding the record `id`, among a lookup column's targets (in target order), or
 * undefined when none does.
 */
export async function findLookupTarget(
  trx: EnvDb,
  catalog: TableCatalog,
  column: ColumnDef,
  id: string,
): Promise<TableDef | undefined> {
  for (const name of column.options.targets ?? []) {
    const target = catalog.byName.get(name)
    if (target === undefined) continue
    const row = await trx
      .selectFrom(target.name)
      .select(target.primaryIdColumn)
      .where(target.primaryIdColumn, '=', id)
      .executeTakeFirst()
    if (row !== undefined) return target
  }
  return undefined
}

/**
 * Checks that every non-null lookup value in `row` names an existing record of one of the
 * column's target tables. Run inside the write transaction, so the target can't vanish before
 * commit. Returns the target table of each lookup set.
 *
 * @throws AppError RECORD_INVALID with the column as path
 */
export async function checkLookups(
  trx: EnvDb,
  catalog: TableCatalog,
  table: TableDef,
  row: StorageRow,
): Promise<Map<string, TableDef>> {
  const found = new Map<string, TableDef>()
  for (const column of table.columns) {
    if (column.type !== 'lookup') continue
    const value = row.get(column.name)
    if (typeof value !== 'string') continue
    const target = await findLookupTarget(trx, catalog, column, value)
    if (target === undefined) {
      throw recordInvalid(column.name, 'refers to a record that does not exist')
    }
    found.set(column.name, target)
  }
  return found
}
