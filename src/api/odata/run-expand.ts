import { AppError } from '../../shared/errors.ts'
import { MAX_TOP, type ParsedQueryOptions, type WhereFactory } from '../../query/index.ts'
import type { RecordData, RecordScope, TableDef } from '../../records/index.ts'
import type { CollectionNavigation, SingleNavigation } from './navigation.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'
import type { ExpandItem } from './parse-expand.ts'
import { recordWriter, shownColumns, type RecordWriter } from './record-json.ts'

const CHUNK = 200

/** The lookup columns a parent query must read so that its single-valued expansions work. */
export function columnsForExpand(items: readonly ExpandItem[]): string[] {
  return items.flatMap((i) => (i.navigation.kind === 'single' ? [i.navigation.column.name] : []))
}

/**
 * Runs the $expand items for `parents` (dataverse-spec §7 single-level $expand) and sets the
 * navigation properties on `outputs` (same order as parents). Every expanded table is read
 * through the caller's scope (authz recordAccess 'query'): related rows outside it are absent,
 * and a single-valued navigation to such a row is null. All filtering happens in SQL.
 */
export async function runExpand(
  op: Operation,
  table: TableDef,
  parents: readonly RecordData[],
  outputs: readonly Record<string, unknown>[],
  items: readonly ExpandItem[],
): Promise<void> {
  for (const item of items) {
    const scope = scopeFor(op, item.target, 'query')
    const write = recordWriter(item.target, {
      annotations: op.prefer.annotations,
      columns: shownColumns(item.target, item.options.select),
    })
    if (item.navigation.kind === 'single') {
      await expandSingle(op, item, item.navigation, scope, write, parents, outputs)
    } else {
      await expandCollection(op, table, item, item.navigation, scope, write, parents, outputs)
    }
  }
}

const inList =
  (table: TableDef, column: string, ids: readonly string[]): WhereFactory =>
  (eb) =>
    eb(eb.ref(`${table.name}.${column}`), 'in', ids)

async function expandSingle(
  op: Operation,
  item: ExpandItem,
  nav: SingleNavigation,
  scope: RecordScope | undefined,
  write: RecordWriter,
  parents: readonly RecordData[],
  outputs: readonly Record<string, unknown>[],
): Promise<void> {
  const ids = new Set<string>()
  for (const p of parents) {
    const id = p[nav.column.name]
    if (typeof id === 'string') ids.add(id)
  }
  const target = item.target
  const found = new Map<string, Record<string, unknown>>()
  const all = [...ids]
  for (let i = 0; i < all.length; i += CHUNK) {
    const chunk = all.slice(i, i + CHUNK)
    const result = await op.records.queryRecords(op.env, target.name, plain(item.options), {
      ...withScope(scope),
      where: inList(target, target.primaryIdColumn, chunk),
      limit: chunk.length,
    })
    for (const r of result.records) found.set(String(r[target.primaryIdColumn]), write(r))
  }
  parents.forEach((p, i) => {
    const out = outputs[i]
    const id = p[nav.column.name]
    if (out !== undefined) out[nav.name] = typeof id === 'string' ? (found.get(id) ?? null) : null
  })
}

async function expandCollection(
  op: Operation,
  table: TableDef,
  item: ExpandItem,
  nav: CollectionNavigation,
  scope: RecordScope | undefined,
  write: RecordWriter,
  parents: readonly RecordData[],
  outputs: readonly Record<string, unknown>[],
): Promise<void> {
  const child = item.target
  const link = nav.column.name
  const options = plain(item.options)
  const query: ParsedQueryOptions =
    options.select === undefined || options.select.includes(link)
      ? options
      : { ...options, select: [...options.select, link] }
  const groups = new Map<string, Record<string, unknown>[]>()
  let total = 0
  const add = (rows: readonly RecordData[]): void => {
    // A response can't grow without bound (ODataLimits.maxExpandedRows): past the limit the
    // client is told to page the parents smaller.
    total += rows.length
    if (total > op.limits.maxExpandedRows) {
      throw new AppError(
        'QUERY_TOO_COMPLEX',
        `The $expand of ${nav.name} returns more than ${String(op.limits.maxExpandedRows)} rows; use a smaller odata.maxpagesize or $top on the expansion.`,
      )
    }
    for (const r of rows) {
      const parent = String(r[link])
      let group = groups.get(parent)
      if (group === undefined) groups.set(parent, (group = []))
      group.push(write(r))
    }
  }
  const parentIds = parents.map((p) => String(p[table.primaryIdColumn]))
  const perParent = async (id: string, limit: number): Promise<void> => {
    const result = await op.records.queryRecords(op.env, child.name, query, {
      ...withScope(scope),
      where: inList(child, link, [id]),
      limit,
    })
    add(result.records)
  }
  if (item.options.top !== undefined) {
    // $top applies per parent, so each parent gets its own LIMIT.
    for (const id of parentIds) await perParent(id, item.options.top)
  } else {
    for (let i = 0; i < parentIds.length; i += CHUNK) {
      const chunk = parentIds.slice(i, i + CHUNK)
      const result = await op.records.queryRecords(op.env, child.name, query, {
        ...withScope(scope),
        where: inList(child, link, chunk),
        limit: MAX_TOP + 1,
      })
      if (result.records.length <= MAX_TOP) add(result.records)
      else for (const id of chunk) await perParent(id, MAX_TOP)
    }
  }
  parents.forEach((p, i) => {
    const out = outputs[i]
    if (out !== undefined) out[nav.name] = groups.get(String(p[table.primaryIdColumn])) ?? []
  })
}

/** The options without $top/$expand/$skiptoken (limits are passed explicitly). */
function plain(options: ParsedQueryOptions): ParsedQueryOptions {
  return {
    count: false,
    ...(options.select === undefined ? {} : { select: options.select }),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
    ...(options.orderBy === undefined ? {} : { orderBy: options.orderBy }),
  }
}
