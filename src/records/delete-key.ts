import { AppError } from '../shared/errors.ts'
import { keyIndexName } from './create-key.ts'
import type { RecordsContext } from './internal/context.ts'
import { findTable } from './internal/table-catalog.ts'

/**
 * Deletes an alternate key: its `_keys` row and its UNIQUE index, in one transaction. The
 * records are untouched; their values are no longer required to be unique.
 *
 * @throws AppError TABLE_NOT_FOUND, ALTERNATE_KEY_NOT_FOUND
 */
export async function deleteKey(
  ctx: RecordsContext,
  tableName: string,
  keyName: string,
): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const table = findTable(await ctx.catalog(trx), tableName)
    const key = table.keys?.find((k) => k.name === keyName)
    if (key === undefined) {
      const printable = /^[a-z][a-z0-9_]{0,49}$/.test(keyName)
      throw new AppError(
        'ALTERNATE_KEY_NOT_FOUND',
        printable
          ? `Table '${table.name}' has no key '${keyName}'.`
          : `Table '${table.name}' has no key of that name.`,
      )
    }
    await trx
      .deleteFrom('_keys')
      .where('table_name', '=', table.name)
      .where('name', '=', key.name)
      .execute()
    await trx.schema.dropIndex(keyIndexName(table.name, key.name)).execute()
  })
}
