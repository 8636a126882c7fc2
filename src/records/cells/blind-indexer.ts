import type { BlindIndexer, CompileFilterOptions, FilterNode, Operand } from '../../query/index.ts'
import type { RecordsContext } from '../internal/context.ts'
import type { TableDef } from '../model.ts'
import { blindIndexColumnOf, blindIndexOf } from './blind-index.ts'
import { cachedBlindIndexKey } from './cell-keys.ts'
import type { Secret } from '../../shared/secret.ts'

/** Does the filter compare an encrypted column of `table` with a value (not null)? */
function comparesEncryptedValue(node: FilterNode, table: TableDef): boolean {
  const encrypted = (o: Operand): boolean =>
    o.kind === 'property' &&
    table.columns.some((c) => c.name === o.column && c.options.encrypted === true)
  const valued = (o: Operand): boolean => o.kind !== 'property' && o.kind !== 'null'
  switch (node.kind) {
    case 'and':
    case 'or':
      return comparesEncryptedValue(node.left, table) || comparesEncryptedValue(node.right, table)
    case 'not':
      return comparesEncryptedValue(node.operand, table)
    case 'function':
      return false
    case 'compare':
      return (
        (encrypted(node.left) && valued(node.right)) || (encrypted(node.right) && valued(node.left))
      )
  }
}

/**
 * The compileFilter options a query on `table` needs: a blind indexer when the filter compares
 * an encrypted column with a value (the query compiler refuses every such comparison but `eq`
 * on a column with a blind index). The field key is asked for only then.
 */
export async function filterOptionsFor(
  ctx: RecordsContext,
  table: TableDef,
  filter: FilterNode | undefined,
): Promise<CompileFilterOptions> {
  if (filter === undefined || !comparesEncryptedValue(filter, table)) return {}
  // The indexer is synchronous: derive (or take from the handle's cache) the keys of the
  // table's indexed columns first.
  const keys = new Map<string, Secret>()
  for (const c of table.columns) {
    if (c.options.blindIndex === true)
      keys.set(c.name, await cachedBlindIndexKey(ctx, table.name, c.name))
  }
  const blindIndex: BlindIndexer = (column, value) => {
    const key = keys.get(column.name)
    if (key === undefined) throw new TypeError(`no blind index key for ${column.name}`)
    return { column: blindIndexColumnOf(column), value: blindIndexOf(key, value) }
  }
  return { blindIndex }
}
