import type { RecordsContext } from './internal/context.ts'
import { findTable } from './internal/table-catalog.ts'
import type { TableDef } from './model.ts'

/**
 * A table's definition by logical name or entity set name.
 *
 * @throws AppError TABLE_NOT_FOUND
 */
export async function getTable(ctx: RecordsContext, nameOrEntitySet: string): Promise<TableDef> {
  return findTable(await ctx.catalog(ctx.db), nameOrEntitySet)
}
