import { sql } from 'kysely'
import type { Clock } from '../shared/clock.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import { Mutex } from '../shared/mutex.ts'
import type { Random } from '../shared/random.ts'
import type { Secret } from '../shared/secret.ts'
import type { EnvDb } from '../storage/index.ts'
import { aggregateRecords } from './aggregate-records.ts'
import { countRecords } from './count-records.ts'
import { createRecord } from './create-record.ts'
import { deleteRecord } from './delete-record.ts'
import { findRecordIdByKey } from './find-record-by-key.ts'
import { getTable } from './get-table.ts'
import type { RecordsContext } from './internal/context.ts'
import type { TableCatalog } from './internal/table-catalog.ts'
import { listTables } from './list-tables.ts'
import { queryRecords } from './query-records.ts'
import { readProvisionedIds } from './read-provisioned-ids.ts'
import type { RecordOperations } from './records-service.ts'
import { retrieveRecord } from './retrieve-record.ts'
import type { ColumnAadCache } from './cells/column-aad.ts'
import { updateRecord } from './update-record.ts'

/** What a unit of work needs besides the open transaction. */
export interface UnitOfWorkDeps {
  readonly fieldKey: () => Promise<Secret>
  readonly derivedKey: (
    name: string,
    derive: (fieldKey: Secret) => Secret,
  ) => Secret | Promise<Secret>
  readonly clock: Clock
  readonly random: Random
  readonly catalog: (db: EnvDb) => Promise<TableCatalog>
  readonly columnAad?: ColumnAadCache
}

/** The operations bound to one open transaction, and how to close them before it ends. */
export interface UnitOfWork {
  readonly operations: RecordOperations
  /** Waits for the operations in flight, then refuses any further call. */
  end(): Promise<void>
}

/**
 * Binds the record operations to `trx`, an open transaction on `env`'s database (see
 * RecordsService.transaction). The same operation code runs as outside a unit of work: each
 * write sees `ctx.db.isTransaction` and joins the transaction instead of opening its own
 * (writeTransaction).
 *
 * - Calls are serialised (a FIFO mutex), so `Promise.all` over `tx` calls is safe: no two
 *   operations interleave their statements.
 * - Each write runs under a savepoint, so a write that fails leaves nothing behind even when
 *   the caller catches the error and goes on; the unit of work still commits or rolls back as
 *   a whole.
 * - `tx.transaction(env, fn)` nests: `fn` runs under its own savepoint, rolled back if it
 *   throws. Don't run other `tx` calls concurrently with a nested transaction.
 * - After the unit of work ended (committed or rolled back) every call throws: the transaction
 *   object must not be used outside it, where it would bypass the connection's lock.
 */
export function openUnitOfWork(env: EnvironmentId, trx: EnvDb, deps: UnitOfWorkDeps): UnitOfWork {
  const mutex = new Mutex()
  const ctx: RecordsContext = {
    db: trx,
    environmentId: env,
    fieldKey: deps.fieldKey,
    derivedKey: deps.derivedKey,
    clock: deps.clock,
    random: deps.random,
    catalog: deps.catalog,
    ...(deps.columnAad === undefined ? {} : { columnAad: deps.columnAad }),
  }
  let open = true
  let aborted = false

  const check = (called: EnvironmentId): void => {
    if (!open) {
      throw new Error('records.transaction: the unit of work has ended; its tx is no longer usable')
    }
    if (aborted) {
      throw new Error('records.transaction: the database aborted the transaction; roll back')
    }
    if (called !== env) {
      throw new RangeError(
        'records.transaction: tx is bound to another environment; a unit of work spans one environment',
      )
    }
  }
  const locked = async <T>(called: EnvironmentId, fn: () => Promise<T>): Promise<T> => {
    check(called)
    const release = await mutex.lock()
    try {
      check(called)
      return await fn()
    } finally {
      release()
    }
  }
  const read = <T>(called: EnvironmentId, op: (c: RecordsContext) => Promise<T>): Promise<T> =>
    locked(called, () => op(ctx))
  const write = <T>(called: EnvironmentId, op: (c: RecordsContext) => Promise<T>): Promise<T> =>
    locked(called, async () => {
      await sql`savepoint strongroom_op`.execute(trx)
      let result: T
      try {
        result = await op(ctx)
      } catch (error) {
        aborted ||= !(await rollbackTo(trx, 'op'))
        throw error
      }
      await sql`release savepoint strongroom_op`.execute(trx)
      return result
    })

  const operations: RecordOperations = {
    readProvisionedIds: (e) => read(e, (c) => readProvisionedIds(c)),
    listTables: (e) => read(e, (c) => listTables(c)),
    getTable: (e, name) => read(e, (c) => getTable(c, name)),
    createRecord: (e, table, data, opts) => write(e, (c) => createRecord(c, table, data, opts)),
    retrieveRecord: (e, table, id, opts) => read(e, (c) => retrieveRecord(c, table, id, opts)),
    findRecordIdByKey: (e, table, values) => read(e, (c) => findRecordIdByKey(c, table, values)),
    updateRecord: (e, table, id, data, opts) =>
      write(e, (c) => updateRecord(c, table, id, data, opts)),
    deleteRecord: (e, table, id, opts) => write(e, (c) => deleteRecord(c, table, id, opts)),
    queryRecords: (e, table, query, extra) => read(e, (c) => queryRecords(c, table, query, extra)),
    countRecords: (e, table, query, extra) => read(e, (c) => countRecords(c, table, query, extra)),
    aggregateRecords: (e, table, apply, extra) =>
      read(e, (c) => aggregateRecords(c, table, apply, extra)),
    transaction: async (e, fn) => {
      await locked(e, () => sql`savepoint strongroom_nested`.execute(trx))
      let result: Awaited<ReturnType<typeof fn>>
      try {
        result = await fn(operations)
      } catch (error) {
        await locked(e, async () => {
          aborted ||= !(await rollbackTo(trx, 'nested'))
        })
        throw error
      }
      await locked(e, () => sql`release savepoint strongroom_nested`.execute(trx))
      return result
    },
  }

  return {
    operations,
    async end() {
      const release = await mutex.lock()
      open = false
      release()
    },
  }
}

/**
 * Undoes a savepoint's work; false when that failed because a failed statement already ended
 * the whole transaction (SQLite does for SQLITE_FULL and a few others). The unit of work then
 * refuses further calls: they would run outside any transaction.
 */
async function rollbackTo(trx: EnvDb, which: 'op' | 'nested'): Promise<boolean> {
  try {
    if (which === 'op') {
      await sql`rollback to savepoint strongroom_op`.execute(trx)
      await sql`release savepoint strongroom_op`.execute(trx)
    } else {
      await sql`rollback to savepoint strongroom_nested`.execute(trx)
      await sql`release savepoint strongroom_nested`.execute(trx)
    }
    return true
  } catch {
    // The caller rethrows the original error; this one only says the transaction is gone.
    return false
  }
}
