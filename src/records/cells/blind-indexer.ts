import type { BlindIndexer, CompileFilterOptions, FilterNode, Operand } from '../../query/index.ts'
import type { RecordsContext } from '../internal/context.ts'
import type { TableDef } from '../model.ts'
import { blindIndexColumnOf, blindIndexOf } from './blind-index.ts'
import { blindIndexKey } from './cell-keys.ts'

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
  const fieldKey = await ctx.fieldKey()
  const blindIndex: BlindIndexer = (column, value) => {
    const key = blindIndexKey(fieldKey, table.name, column.name)
    try {
      return { column: blindIndexColumnOf(column), value: blindIndexOf(key, value) }
    } finally {
      key.dispose()
    }
  }
  return { blindIndex }
}
