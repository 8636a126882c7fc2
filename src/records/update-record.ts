import { AppError } from '../shared/errors.ts'
import { parseGuid } from '../shared/ids.ts'
import { sealRow } from './cells/seal-row.ts'
import { checkActor } from './internal/actor.ts'
import { checkLookups } from './internal/check-lookups.ts'
import { recordInvalid } from './internal/record-invalid.ts'
import { businessUnitOf, hasOnBehalfOf } from './create-record.ts'
import { composeFullName, needsNameParts } from './internal/compose-full-name.ts'
import { nowText, type RecordsContext } from './internal/context.ts'
import { encodeRecord } from './internal/encode-record.ts'
import { nextVersion } from './internal/next-version.ts'
import { writeTransaction } from './internal/write-transaction.ts'
import { toBigint } from './internal/to-bigint.ts'
import { missingRecord, parseIfVersion } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import type { TableDef } from './model.ts'
import type { RecordScope } from './record-scope.ts'
import {
  childrenToAssign,
  parentalColumns,
  recomputeInheritedShares,
  shareToPreviousOwner,
  type CascadeContext,
} from './internal/share-cascade.ts'

/** Options of updateRecord. */
export interface UpdateRecordOptions {
  /** The systemuser making the change: modifiedby. */
  readonly actorId: string
  /** The real caller when `actorId` is impersonated: modifiedonbehalfby (else null). */
  readonly callingUserId?: string
  /** Optimistic concurrency: the versionnumber the client read (If-Match). */
  readonly ifVersion?: number | string | bigint
  readonly scope?: RecordScope
}

/**
 * Updates the given columns of one record in one transaction (its own or the unit of work's),
 * with a new versionnumber and modifiedon/modifiedby. With `ifVersion`, the update applies only
 * if the record still has that version (`UPDATE … WHERE id = ? AND versionnumber = ?`).
 *
 * @returns the record's new versionnumber
 * @throws AppError TABLE_NOT_FOUND, COLUMN_NOT_FOUND, RECORD_INVALID, RECORD_NOT_FOUND (or the
 *   scope's error), CONCURRENCY_MISMATCH (nothing changed), VALIDATION (id, actor, ifVersion)
 */
export async function updateRecord(
  ctx: RecordsContext,
  tableName: string,
  id: string,
  data: Readonly<Record<string, unknown>>,
  options: UpdateRecordOptions,
): Promise<number> {
  const recordId = parseGuid(id, 'record id')
  const expected = options.ifVersion === undefined ? undefined : parseIfVersion(options.ifVersion)
  return writeTransaction(ctx.db, async (trx) => {
    const catalog = await ctx.catalog(trx)
    const table = findTable(catalog, tableName)
    const row = encodeRecord(table, data, 'update')
    const scope = options.scope
    const parts = needsNameParts(table, row) ? ['firstname', 'lastname'] : []
    const facts = table.ownership === 'user' ? ['ownerid'] : []
    if (table.name === 'principalobjectaccess') facts.push('objectid', 'objecttypecode')
    let read = trx
      .selectFrom(table.name)
      .select(['versionnumber', ...parts, ...facts])
      .where(table.primaryIdColumn, '=', recordId)
    if (scope !== undefined) read = read.where((eb) => scope.where(eb, table))
    const current = await read.executeTakeFirst()
    if (current === undefined) throw await missingRecord(trx, table, recordId, 'update', scope)
    const currentVersion = toBigint(current['versionnumber'])
    if (expected !== undefined && expected !== currentVersion) throw mismatch()
    composeFullName(table, row, current)
    const actor = await checkActor(trx, catalog, options.actorId)
    const lookups = await checkLookups(trx, catalog, table, row)
    const owner = row.get('ownerid')
    if (table.ownership === 'user' && owner !== undefined) {
      // Assign: the owning business unit follows the new owner (dataverse-spec §3).
      if (owner === null) throw recordInvalid('ownerid', 'a record must have an owner')
      row.set(
        'owningbusinessunit',
        await businessUnitOf(trx, lookups.get('ownerid'), String(owner)),
      )
    }
    const version = await nextVersion(trx)
    row.set('modifiedon', nowText(ctx.clock))
    row.set('modifiedby', actor)
    if (hasOnBehalfOf(table)) {
      const calling = options.callingUserId
      row.set(
        'modifiedonbehalfby',
        calling === undefined ? null : await checkActor(trx, catalog, calling),
      )
    }
    row.set('versionnumber', version)
    await sealRow(ctx, table, row, recordId)
    const result = await trx
      .updateTable(table.name)
      .set(Object.fromEntries(row))
      .where(table.primaryIdColumn, '=', recordId)
      .where('versionnumber', '=', currentVersion)
      .executeTakeFirst()
    if (result.numUpdatedRows !== 1n) throw mismatch()
    const c: CascadeContext = { ctx: { ...ctx, db: trx }, trx, catalog, actorId: actor }
    await afterUpdate(c, table, recordId, row, current, {
      actorId: options.actorId,
      ...(options.callingUserId === undefined ? {} : { callingUserId: options.callingUserId }),
    })
    return Number(version)
  })
}

/**
 * What an update carries along (docs/authz.md §14): a changed direct share recomputes the
 * inherited shares below its record; an Assign shares the record with the previous owner
 * (organization.sharetopreviousowneronassign) and assigns the children its parental lookups'
 * Assign rule covers; a changed owner, state or parental lookup recomputes the record's
 * inherited shares and those below it.
 */
async function afterUpdate(
  c: CascadeContext,
  table: TableDef,
  id: string,
  row: ReadonlyMap<string, unknown>,
  current: Readonly<Record<string, unknown>>,
  actor: Pick<UpdateRecordOptions, 'actorId' | 'callingUserId'>,
): Promise<void> {
  if (table.name === 'principalobjectaccess') {
    if (row.has('accessrightsmask')) {
      const objectTable = String(current['objecttypecode'])
      await recomputeInheritedShares(c, objectTable, String(current['objectid']), false)
    }
    return
  }
  if (table.ownership !== 'user') return
  const previousOwner = current['ownerid']
  const newOwner = row.get('ownerid')
  const assigned = typeof newOwner === 'string' && newOwner !== previousOwner
  if (assigned) {
    if (typeof previousOwner === 'string') await shareToPreviousOwner(c, table, id, previousOwner)
    for (const child of await childrenToAssign(c, table, id, previousOwner, newOwner)) {
      // The cascade is the same change: the same actor, and the same real caller under
      // impersonation (modifiedonbehalfby).
      await updateRecord(c.ctx, child.table.name, child.id, { ownerid: newOwner }, actor)
    }
  }
  const moved =
    assigned ||
    row.has('statecode') ||
    parentalColumns(table, 'share').some((col) => row.has(col.name))
  if (moved) await recomputeInheritedShares(c, table.name, id, true)
}

const mismatch = (): AppError =>
  new AppError('CONCURRENCY_MISMATCH', 'The record changed since it was read.')
