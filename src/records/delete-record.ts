import { AppError } from '../shared/errors.ts'
import { parseGuid } from '../shared/ids.ts'
import type { EnvDb } from '../storage/index.ts'
import { checkActor } from './internal/actor.ts'
import { hasOnBehalfOf } from './create-record.ts'
import { nowText, type RecordsContext } from './internal/context.ts'
import { nextVersion } from './internal/next-version.ts'
import { writeTransaction } from './internal/write-transaction.ts'
import { toBigint } from './internal/to-bigint.ts'
import { missingRecord, parseIfVersion } from './internal/record-io.ts'
import { findTable, type TableCatalog } from './internal/table-catalog.ts'
import type { ColumnDef, TableDef } from './model.ts'
import type { RecordScope } from './record-scope.ts'
import { cascadeRuleOf, recomputeInheritedShares } from './internal/share-cascade.ts'

/** Options of deleteRecord. */
export interface DeleteRecordOptions {
  /** The systemuser deleting: modifiedby of records whose lookups are cleared. */
  readonly actorId: string
  /** The real caller when `actorId` is impersonated: modifiedonbehalfby of those records. */
  readonly callingUserId?: string
  /** Optimistic concurrency: the versionnumber the client read (If-Match). */
  readonly ifVersion?: number | string | bigint
  readonly scope?: RecordScope
}

/** Lookup columns anywhere in the environment that may point at `table`. */
function referencesTo(catalog: TableCatalog, table: TableDef): [TableDef, ColumnDef][] {
  const found: [TableDef, ColumnDef][] = []
  for (const t of catalog.byName.values()) {
    for (const c of t.columns) {
      if (c.type === 'lookup' && c.options.targets?.includes(table.name) === true)
        found.push([t, c])
    }
  }
  return found
}

/**
 * Deletes one record in one transaction (its own or the unit of work's). Lookups elsewhere that point at it follow their
 * column's delete behaviour: 'restrict' (system columns such as createdby and ownerid, and the
 * business unit links of users, teams and roles) refuses the delete; 'removeLink' (the default)
 * clears them, each cleared record getting a new versionnumber and modifiedon/modifiedby.
 *
 * @throws AppError TABLE_NOT_FOUND, RECORD_NOT_FOUND (or the scope's error),
 *   CONCURRENCY_MISMATCH, IN_USE (restricted reference), VALIDATION (id, actor, ifVersion)
 */
export async function deleteRecord(
  ctx: RecordsContext,
  tableName: string,
  id: string,
  options: DeleteRecordOptions,
): Promise<void> {
  const recordId = parseGuid(id, 'record id')
  const expected = options.ifVersion === undefined ? undefined : parseIfVersion(options.ifVersion)
  await writeTransaction(ctx.db, async (trx) => {
    const catalog = await ctx.catalog(trx)
    const table = findTable(catalog, tableName)
    const scope = options.scope
    let read = trx
      .selectFrom(table.name)
      .select('versionnumber')
      .where(table.primaryIdColumn, '=', recordId)
    if (scope !== undefined) read = read.where((eb) => scope.where(eb, table))
    const current = await read.executeTakeFirst()
    if (current === undefined) throw await missingRecord(trx, table, recordId, 'delete', scope)
    const currentVersion = toBigint(current['versionnumber'])
    if (expected !== undefined && expected !== currentVersion) throw mismatch()
    const actor = await checkActor(trx, catalog, options.actorId)
    const calling =
      options.callingUserId === undefined
        ? null
        : await checkActor(trx, catalog, options.callingUserId)
    const references = referencesTo(catalog, table)
    for (const [t, c] of references) {
      if (c.options.onDelete === 'restrict' && (await isReferenced(trx, table, recordId, t, c))) {
        throw new AppError(
          'IN_USE',
          `The ${table.name} record is still referenced by ${t.name}.${c.name}; change those records first.`,
        )
      }
    }
    const unlinked: [TableDef, string][] = []
    for (const [t, c] of references) {
      if (c.options.onDelete !== 'restrict') {
        const ids = await removeLinks(
          trx,
          table,
          recordId,
          t,
          c,
          { actor, calling },
          nowText(ctx.clock),
        )
        if (cascadeRuleOf(t, c, 'share') !== 'none')
          unlinked.push(...ids.map((i) => [t, i] as [TableDef, string]))
      }
    }
    const share =
      table.name === 'principalobjectaccess'
        ? await trx
            .selectFrom(table.name)
            .select(['objectid', 'objecttypecode'])
            .where(table.primaryIdColumn, '=', recordId)
            .executeTakeFirst()
        : undefined
    const result = await trx
      .deleteFrom(table.name)
      .where(table.primaryIdColumn, '=', recordId)
      .where('versionnumber', '=', currentVersion)
      .executeTakeFirst()
    if (result.numDeletedRows !== 1n) throw mismatch()
    // Shares follow: a removed direct share leaves the descendants of its record; records no
    // longer under the deleted parent lose what they inherited through it (docs/authz.md §14).
    const c = { ctx: { ...ctx, db: trx }, trx, catalog, actorId: actor }
    if (share !== undefined) {
      await recomputeInheritedShares(
        c,
        String(share['objecttypecode']),
        String(share['objectid']),
        false,
      )
    }
    for (const [t, childId] of unlinked) await recomputeInheritedShares(c, t.name, childId, true)
  })
}

/** Rows of `t` whose column `c` points at the record, other than the record itself. */
function referencing(trx: EnvDb, table: TableDef, id: string, t: TableDef, c: ColumnDef) {
  let query = trx.selectFrom(t.name).select(t.primaryIdColumn).where(c.name, '=', id)
  if (t.name === table.name) query = query.where(t.primaryIdColumn, '!=', id)
  return query
}

async function isReferenced(
  trx: EnvDb,
  table: TableDef,
  id: string,
  t: TableDef,
  c: ColumnDef,
): Promise<boolean> {
  return (await referencing(trx, table, id, t, c).limit(1).executeTakeFirst()) !== undefined
}

async function removeLinks(
  trx: EnvDb,
  table: TableDef,
  id: string,
  t: TableDef,
  c: ColumnDef,
  by: { readonly actor: string; readonly calling: string | null },
  now: string,
): Promise<string[]> {
  const rows = await referencing(trx, table, id, t, c).execute()
  for (const row of rows) {
    // One version per record, so versions stay unique per environment.
    await trx
      .updateTable(t.name)
      .set({
        [c.name]: null,
        modifiedon: now,
        modifiedby: by.actor,
        ...(hasOnBehalfOf(t) ? { modifiedonbehalfby: by.calling } : {}),
        versionnumber: await nextVersion(trx),
      })
      .where(t.primaryIdColumn, '=', String(row[t.primaryIdColumn]))
      .execute()
  }
  return rows.map((row) => String(row[t.primaryIdColumn]))
}

const mismatch = (): AppError =>
  new AppError('CONCURRENCY_MISMATCH', 'The record changed since it was read.')
