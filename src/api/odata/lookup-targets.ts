import type { RecordData, RecordValue, TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import {
  ASSOCIATED_NAVIGATION_PROPERTY,
  FORMATTED_VALUE,
  LOOKUP_LOGICAL_NAME,
} from './annotations.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'

/** What a lookup value points at: the target table and the target's primary name. */
export interface LookupTarget {
  readonly table: string
  readonly name: RecordValue
}

export type LookupTargets = ReadonlyMap<string, LookupTarget>

const CHUNK = 500

/**
 * Resolves the lookup values of `rows` to their target table and primary name, when the
 * annotations asked for need it: the formatted value (the target's name) of any lookup, or
 * the logical name / navigation property of a lookup with several targets. Each target table
 * is read through the caller's own scope (authz), so a record the caller can't read stays
 * unresolved and its annotations are left out.
 */
export async function resolveLookupTargets(
  op: Operation,
  table: TableDef,
  rows: readonly RecordData[],
): Promise<LookupTargets | undefined> {
  const want = op.prefer.annotations
  if (want === undefined || rows.length === 0) return undefined
  const names = want(FORMATTED_VALUE)
  const kinds = want(LOOKUP_LOGICAL_NAME) || want(ASSOCIATED_NAVIGATION_PROPERTY)
  if (!names && !kinds) return undefined
  const idsByTarget = new Map<string, Set<string>>()
  for (const column of table.columns) {
    const targets = column.options.targets ?? []
    if (column.type !== 'lookup' || (!names && targets.length < 2)) continue
    for (const row of rows) {
      const id = row[column.name]
      if (typeof id !== 'string') continue
      for (const target of targets) {
        let set = idsByTarget.get(target)
        if (set === undefined) idsByTarget.set(target, (set = new Set()))
        set.add(id)
      }
    }
  }
  const found = new Map<string, LookupTarget>()
  for (const [target, ids] of idsByTarget) {
    const targetTable = await op.records.getTable(op.env, target)
    let scope
    try {
      scope = scopeFor(op, targetTable, 'query')
    } catch (e) {
      if (e instanceof AppError && e.code === 'FORBIDDEN') continue
      throw e
    }
    const all = [...ids]
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK)
      const ref = `${targetTable.name}.${targetTable.primaryIdColumn}`
      const result = await op.records.queryRecords(
        op.env,
        targetTable.name,
        { count: false, select: [targetTable.primaryNameColumn] },
        { ...withScope(scope), where: (eb) => eb(eb.ref(ref), 'in', chunk), limit: chunk.length },
      )
      for (const record of result.records) {
        const id = record[targetTable.primaryIdColumn]
        if (typeof id === 'string') {
          found.set(id, {
            table: targetTable.name,
            name: record[targetTable.primaryNameColumn] ?? null,
          })
        }
      }
    }
  }
  return found
}
