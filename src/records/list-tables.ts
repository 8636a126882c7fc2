import type { RecordsContext } from './internal/context.ts'
import type { TableDef } from './model.ts'

/** Every table of the environment, by logical name. */
export async function listTables(ctx: RecordsContext): Promise<TableDef[]> {
  const catalog = await ctx.catalog(ctx.db)
  return [...catalog.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
}
