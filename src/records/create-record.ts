import { AppError } from '../shared/errors.ts'
import type { RecordId } from '../shared/ids.ts'
import type { EnvDb } from '../storage/index.ts'
import { sealRow } from './cells/seal-row.ts'
import { checkActor } from './internal/actor.ts'
import { checkLookups } from './internal/check-lookups.ts'
import { composeFullName } from './internal/compose-full-name.ts'
import { nowText, type RecordsContext } from './internal/context.ts'
import { encodeRecord, type StorageRow } from './internal/encode-record.ts'
import { requireEnvSetting } from './internal/env-settings.ts'
import { nextVersion } from './internal/next-version.ts'
import { writeTransaction } from './internal/write-transaction.ts'
import { recordExists } from './internal/record-io.ts'
import { recordInvalid } from './internal/record-invalid.ts'
import { findTable } from './internal/table-catalog.ts'
import type { TableDef } from './model.ts'
import type { RecordScope } from './record-scope.ts'
import { parentalColumns, recomputeInheritedShares } from './internal/share-cascade.ts'

/** Options of createRecord. */
export interface CreateRecordOptions {
  /** The systemuser creating the record: createdby, modifiedby and the default owner. */
  readonly actorId: string
  /**
   * The real caller when `actorId` is impersonated (docs/authz.md §8): createdonbehalfby and
   * modifiedonbehalfby. Absent: both null.
   */
  readonly callingUserId?: string
  readonly scope?: RecordScope
}

/**
 * Creates a record in one transaction (its own, or the unit of work's when `ctx.db` is one,
 * see writeTransaction): validates and encodes `data`, checks lookups, sets the system columns
 * (createdon/by, modifiedon/by, versionnumber from the environment counter, state Active, and
 * for user-owned tables ownerid — default the actor — and the owner's business unit) and
 * inserts it. The client may supply the primary id.
 *
 * @returns the new record's id
 * @throws AppError TABLE_NOT_FOUND, COLUMN_NOT_FOUND, RECORD_INVALID, RECORD_DUPLICATE,
 *   VALIDATION (actor), or the scope's error when the new record falls outside it
 */
export async function createRecord(
  ctx: RecordsContext,
  tableName: string,
  data: Readonly<Record<string, unknown>>,
  options: CreateRecordOptions,
): Promise<RecordId> {
  return writeTransaction(ctx.db, async (trx) => {
    const catalog = await ctx.catalog(trx)
    const table = findTable(catalog, tableName)
    const row = encodeRecord(table, data, 'create')
    composeFullName(table, row)
    const given = row.get(table.primaryIdColumn)
    const id = typeof given === 'string' ? given : ctx.random.uuid().toLowerCase()
    if (await recordExists(trx, table, id)) {
      throw new AppError('RECORD_DUPLICATE', `A ${table.name} record with that id already exists.`)
    }
    const actor = await checkActor(trx, catalog, options.actorId)
    const lookups = await checkLookups(trx, catalog, table, row)
    if (table.ownership === 'user') {
      const ownerTable = lookups.get('ownerid') ?? catalog.byName.get('systemuser')
      const owner = row.get('ownerid') ?? actor
      row.set('ownerid', owner)
      row.set('owningbusinessunit', await businessUnitOf(trx, ownerTable, String(owner)))
    }
    const now = nowText(ctx.clock)
    row.set(table.primaryIdColumn, id)
    if (!row.has('statecode')) row.set('statecode', 0n)
    if (!row.has('statuscode')) row.set('statuscode', 1n)
    row.set('createdon', now)
    row.set('modifiedon', now)
    row.set('createdby', actor)
    row.set('modifiedby', actor)
    if (options.callingUserId !== undefined && hasOnBehalfOf(table)) {
      const calling = await checkActor(trx, catalog, options.callingUserId)
      row.set('createdonbehalfby', calling)
      row.set('modifiedonbehalfby', calling)
    }
    row.set('versionnumber', await nextVersion(trx))
    await sealRow(ctx, table, row, id)
    await insertRow(trx, table, row)
    if (options.scope !== undefined) {
      const scope = options.scope
      const visible = await trx
        .selectFrom(table.name)
        .select(table.primaryIdColumn)
        .where(table.primaryIdColumn, '=', id)
        .where((eb) => scope.where(eb, table))
        .executeTakeFirst()
      if (visible === undefined) {
        throw (
          scope.denied?.('create', table) ??
          recordInvalid(table.primaryIdColumn, 'the record is outside what you may create')
        )
      }
    }
    // A direct share cascades to the record's descendants; a record created under a shared
    // parent inherits its share (docs/authz.md §14).
    const c = { ctx: { ...ctx, db: trx }, trx, catalog, actorId: actor }
    if (table.name === 'principalobjectaccess') {
      const objectTable = row.get('objecttypecode')
      const objectId = row.get('objectid')
      if (typeof objectTable === 'string' && typeof objectId === 'string') {
        await recomputeInheritedShares(c, objectTable, objectId, false)
      }
    } else if (
      parentalColumns(table, 'share').some((col) => typeof row.get(col.name) === 'string')
    ) {
      await recomputeInheritedShares(c, table.name, id, true)
    }
    return id as RecordId
  })
}

/** Inserts an encoded row (all names come from the TableDef). */
export async function insertRow(trx: EnvDb, table: TableDef, row: StorageRow): Promise<void> {
  await trx.insertInto(table.name).values(Object.fromEntries(row)).execute()
}

/** The business unit of an owner (systemuser or team); the root business unit otherwise. */
/** The business unit of an owner (systemuser or team): a record's owningbusinessunit. */
export async function businessUnitOf(
  trx: EnvDb,
  ownerTable: TableDef | undefined,
  ownerId: string,
): Promise<string> {
  if (ownerTable?.columns.some((c) => c.name === 'businessunitid') === true) {
    const typed = ownerTable.columns.some((c) => c.name === 'teamtype')
    const found = await trx
      .selectFrom(ownerTable.name)
      .select(typed ? ['businessunitid', 'teamtype'] : ['businessunitid'])
      .where(ownerTable.primaryIdColumn, '=', ownerId)
      .executeTakeFirst()
    // dataverse-spec §3 Teams: an access team (teamtype 1) owns nothing; records are shared
    // with it instead (docs/authz.md §16).
    if (typed && Number(found?.['teamtype']) === 1) {
      throw new AppError(
        'RECORD_INVALID',
        "An access team can't own records; share them with it.",
        {
          details: [{ path: 'ownerid', message: 'an access team' }],
        },
      )
    }
    const bu = found?.['businessunitid']
    if (typeof bu === 'string') return bu
  }
  return requireEnvSetting(trx, 'root_business_unit_id')
}

/** Whether the table has createdonbehalfby / modifiedonbehalfby (every table since schema 7). */
export const hasOnBehalfOf = (table: TableDef): boolean =>
  table.columns.some((c) => c.name === 'modifiedonbehalfby')
