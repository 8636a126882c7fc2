import type { EnvDb } from '../../storage/index.ts'
import type { CascadeRule, ColumnDef, TableDef } from '../model.ts'
import { nowText, type RecordsContext } from './context.ts'
import { findLookupTarget } from './check-lookups.ts'
import { nextVersion } from './next-version.ts'
import type { TableCatalog } from './table-catalog.ts'

/**
 * Share and Assign cascades along parental relationships, and share-to-previous-owner on
 * Assign (dataverse-spec §3 "Sharing and assigning", docs/authz.md §14). Run by the records
 * layer inside the writer's transaction, like the security triggers, so every path (Web API,
 * `$batch`, CLI) keeps the inherited shares exact.
 *
 * The inherited mask of a record for a principal is the union of the DIRECT shares
 * (`accessrightsmask`) of its ancestors along parental lookups whose share rule lets the
 * record inherit: computed from direct masks only, so a cycle of lookups can never keep a
 * revoked share alive.
 */

/** Read, Write, Append, AppendTo, Delete, Share, Assign: Dataverse's share to the previous owner. */
export const FULL_SHARE_MASK = 1 | 2 | 4 | 16 | 65536 | 262144 | 524288

/** Dataverse's defaults for the standard parental relationships (contact_customer_accounts …). */
const DEFAULT_RULES: Readonly<Record<string, CascadeRule>> = {
  'contact.parentcustomerid': 'cascade',
}

/** How far an inheritance walk goes up or down (a chain longer than this is not followed). */
const MAX_CASCADE_DEPTH = 16

/** The share or assign rule of a lookup column: its option, else the standard default, else none. */
export function cascadeRuleOf(
  table: TableDef,
  column: ColumnDef,
  kind: 'share' | 'assign',
): CascadeRule {
  if (column.type !== 'lookup' || table.ownership !== 'user' || column.system) return 'none'
  const option = kind === 'share' ? column.options.cascadeShare : column.options.cascadeAssign
  return option ?? DEFAULT_RULES[`${table.name}.${column.name}`] ?? 'none'
}

/** The parental lookups of `table` (a share or assign rule other than none). */
export function parentalColumns(table: TableDef, kind: 'share' | 'assign'): ColumnDef[] {
  return table.columns.filter((c) => cascadeRuleOf(table, c, kind) !== 'none')
}

/** Whether a record with `state` and `owner` follows a parent owned by `parentOwner`. */
const follows = (
  rule: CascadeRule,
  state: unknown,
  owner: unknown,
  parentOwner: unknown,
): boolean =>
  rule === 'cascade' ||
  (rule === 'active' && Number(state) === 0) ||
  (rule === 'userOwned' && owner !== null && owner === parentOwner)

interface Share {
  readonly id: string
  readonly principalId: string
  readonly principalType: string
  readonly accessMask: number
  readonly inheritedMask: number
}

async function sharesOf(trx: EnvDb, table: string, id: string): Promise<Share[]> {
  const rows = await trx
    .selectFrom('principalobjectaccess')
    .select([
      'principalobjectaccessid',
      'principalid',
      'principaltypecode',
      'accessrightsmask',
      'inheritedaccessrightsmask',
    ])
    .where('objectid', '=', id)
    .where('objecttypecode', '=', table)
    .execute()
  return rows.map((r) => ({
    id: String(r['principalobjectaccessid']),
    principalId: String(r['principalid']),
    principalType: String(r['principaltypecode']),
    accessMask: Number(r['accessrightsmask'] ?? 0),
    inheritedMask: Number(r['inheritedaccessrightsmask'] ?? 0),
  }))
}

/** What a POA write needs besides the transaction. */
export interface CascadeContext {
  readonly ctx: RecordsContext
  readonly trx: EnvDb
  readonly catalog: TableCatalog
  readonly actorId: string
}

/** Sets one share's masks: inserts, updates or deletes the POA row (one version per write). */
async function writeShare(
  c: CascadeContext,
  table: string,
  objectId: string,
  principal: { readonly id: string; readonly type: string },
  existing: Share | undefined,
  masks: { readonly accessMask: number; readonly inheritedMask: number },
): Promise<void> {
  const now = nowText(c.ctx.clock)
  if (existing === undefined) {
    if (masks.accessMask === 0 && masks.inheritedMask === 0) return
    await c.trx
      .insertInto('principalobjectaccess')
      .values({
        principalobjectaccessid: c.ctx.random.uuid().toLowerCase(),
        objectid: objectId,
        objecttypecode: table,
        principalid: principal.id,
        principaltypecode: principal.type,
        accessrightsmask: masks.accessMask,
        inheritedaccessrightsmask: masks.inheritedMask,
        createdon: now,
        createdby: c.actorId,
        modifiedon: now,
        modifiedby: c.actorId,
        statecode: 0,
        statuscode: 1,
        versionnumber: await nextVersion(c.trx),
      })
      .execute()
  } else if (masks.accessMask === 0 && masks.inheritedMask === 0) {
    await c.trx
      .deleteFrom('principalobjectaccess')
      .where('principalobjectaccessid', '=', existing.id)
      .execute()
  } else if (
    masks.accessMask !== existing.accessMask ||
    masks.inheritedMask !== existing.inheritedMask
  ) {
    await c.trx
      .updateTable('principalobjectaccess')
      .set({
        accessrightsmask: masks.accessMask,
        inheritedaccessrightsmask: masks.inheritedMask,
        modifiedon: now,
        modifiedby: c.actorId,
        versionnumber: await nextVersion(c.trx),
      })
      .where('principalobjectaccessid', '=', existing.id)
      .execute()
  }
}

/** The records of `child` whose parental lookup points at the record. */
async function childrenOf(
  c: CascadeContext,
  parent: TableDef,
  parentId: string,
  kind: 'share' | 'assign',
): Promise<{ table: TableDef; column: ColumnDef; rule: CascadeRule; rows: RowFacts[] }[]> {
  const found = []
  for (const table of c.catalog.byName.values()) {
    for (const column of parentalColumns(table, kind)) {
      if (column.options.targets?.includes(parent.name) !== true) continue
      const rows = await c.trx
        .selectFrom(table.name)
        .select([table.primaryIdColumn, 'ownerid', 'statecode'])
        .where(column.name, '=', parentId)
        .where(table.primaryIdColumn, '!=', parentId)
        .execute()
      found.push({
        table,
        column,
        rule: cascadeRuleOf(table, column, kind),
        rows: rows.map((r) => ({
          id: String(r[table.primaryIdColumn]),
          owner: r['ownerid'],
          state: r['statecode'],
        })),
      })
    }
  }
  return found
}

interface RowFacts {
  readonly id: string
  readonly owner: unknown
  readonly state: unknown
}

/**
 * The inherited masks a record should carry: the direct shares of every ancestor reachable
 * through parental lookups whose share rule the record (then each ancestor) follows.
 */
async function wantedInherited(
  c: CascadeContext,
  table: TableDef,
  id: string,
): Promise<Map<string, { type: string; mask: number }>> {
  const wanted = new Map<string, { type: string; mask: number }>()
  const seen = new Set([id])
  let level: { table: TableDef; id: string }[] = [{ table, id }]
  for (let depth = 0; depth < MAX_CASCADE_DEPTH && level.length > 0; depth++) {
    const next: { table: TableDef; id: string }[] = []
    for (const node of level) {
      const columns = parentalColumns(node.table, 'share')
      if (columns.length === 0) continue
      const row = await c.trx
        .selectFrom(node.table.name)
        .select(['ownerid', 'statecode', ...columns.map((col) => col.name)])
        .where(node.table.primaryIdColumn, '=', node.id)
        .executeTakeFirst()
      if (row === undefined) continue
      for (const column of columns) {
        const parentId = row[column.name]
        if (typeof parentId !== 'string' || seen.has(parentId)) continue
        const parent = await findLookupTarget(c.trx, c.catalog, column, parentId)
        if (parent?.ownership !== 'user') continue
        const parentRow = await c.trx
          .selectFrom(parent.name)
          .select('ownerid')
          .where(parent.primaryIdColumn, '=', parentId)
          .executeTakeFirst()
        const rule = cascadeRuleOf(node.table, column, 'share')
        if (!follows(rule, row['statecode'], row['ownerid'], parentRow?.['ownerid'])) continue
        seen.add(parentId)
        for (const share of await sharesOf(c.trx, parent.name, parentId)) {
          if (share.accessMask === 0) continue
          const had = wanted.get(share.principalId)
          wanted.set(share.principalId, {
            type: share.principalType,
            mask: (had?.mask ?? 0) | share.accessMask,
          })
        }
        next.push({ table: parent, id: parentId })
      }
    }
    level = next
  }
  return wanted
}

/** Makes the record's inherited shares match its ancestors' direct shares. */
async function recomputeOne(c: CascadeContext, table: TableDef, id: string): Promise<void> {
  const wanted = await wantedInherited(c, table, id)
  for (const share of await sharesOf(c.trx, table.name, id)) {
    const mask = wanted.get(share.principalId)?.mask ?? 0
    wanted.delete(share.principalId)
    if (mask === share.inheritedMask) continue
    await writeShare(
      c,
      table.name,
      id,
      { id: share.principalId, type: share.principalType },
      share,
      { accessMask: share.accessMask, inheritedMask: mask },
    )
  }
  for (const [principalId, { type, mask }] of wanted) {
    await writeShare(c, table.name, id, { id: principalId, type }, undefined, {
      accessMask: 0,
      inheritedMask: mask,
    })
  }
}

/**
 * Recomputes the inherited shares of every descendant of a record through parental lookups
 * (breadth-first, each record once), and of the record itself with `includeSelf` (it was
 * created, or a parental lookup, its owner or its state changed). Inherited masks derive from
 * direct masks only, so the order of the walk doesn't matter.
 */
export async function recomputeInheritedShares(
  c: CascadeContext,
  tableName: string,
  id: string,
  includeSelf: boolean,
): Promise<void> {
  const table = c.catalog.byName.get(tableName)
  if (table?.ownership !== 'user') return
  if (includeSelf) await recomputeOne(c, table, id)
  const seen = new Set([id])
  let level: { table: TableDef; id: string }[] = [{ table, id }]
  for (let depth = 0; depth < MAX_CASCADE_DEPTH && level.length > 0; depth++) {
    const next: { table: TableDef; id: string }[] = []
    for (const node of level) {
      for (const group of await childrenOf(c, node.table, node.id, 'share')) {
        for (const child of group.rows) {
          if (seen.has(child.id)) continue
          seen.add(child.id)
          await recomputeOne(c, group.table, child.id)
          next.push({ table: group.table, id: child.id })
        }
      }
    }
    level = next
  }
}

/**
 * Share to the previous owner on Assign (organization.sharetopreviousowneronassign): the
 * previous owner gets a direct share with every right but Create, added to any it had.
 */
export async function shareToPreviousOwner(
  c: CascadeContext,
  table: TableDef,
  id: string,
  previousOwner: string,
): Promise<void> {
  const organization = c.catalog.byName.get('organization')
  if (organization?.columns.some((col) => col.name === 'sharetopreviousowneronassign') !== true) {
    return
  }
  const setting = await c.trx
    .selectFrom('organization')
    .select('sharetopreviousowneronassign')
    .executeTakeFirst()
  if (Number(setting?.['sharetopreviousowneronassign'] ?? 0) !== 1) return
  const ownerColumn = table.columns.find((col) => col.name === 'ownerid')
  if (ownerColumn === undefined) return
  const ownerTable = await findLookupTarget(c.trx, c.catalog, ownerColumn, previousOwner)
  if (ownerTable === undefined) return
  const [existing] = (await sharesOf(c.trx, table.name, id)).filter(
    (s) => s.principalId === previousOwner,
  )
  await writeShare(c, table.name, id, { id: previousOwner, type: ownerTable.name }, existing, {
    accessMask: (existing?.accessMask ?? 0) | FULL_SHARE_MASK,
    inheritedMask: existing?.inheritedMask ?? 0,
  })
}

/**
 * The children an Assign of the record from `previousOwner` carries along (its assign rule:
 * all, active, or those owned by the previous owner), not already owned by `newOwner`.
 */
export async function childrenToAssign(
  c: CascadeContext,
  table: TableDef,
  id: string,
  previousOwner: unknown,
  newOwner: string,
): Promise<{ table: TableDef; id: string }[]> {
  const found: { table: TableDef; id: string }[] = []
  for (const group of await childrenOf(c, table, id, 'assign')) {
    for (const child of group.rows) {
      if (child.owner === newOwner) continue
      if (!follows(group.rule, child.state, child.owner, previousOwner)) continue
      found.push({ table: group.table, id: child.id })
    }
  }
  return found
}
