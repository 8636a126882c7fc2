import { AsyncLocalStorage } from 'node:async_hooks'
import { defaultTextOpener, type TextOpener } from '../crypto/index.ts'
import type { ApplyNode, ParsedQueryOptions } from '../query/index.ts'
import type { Clock } from '../shared/clock.ts'
import type { EnvironmentId, RecordId } from '../shared/ids.ts'
import type { Random } from '../shared/random.ts'
import type { EnvDb, EnvironmentDatabases, OpenEnvironment } from '../storage/index.ts'
import { addColumn, type AddColumnInput } from './add-column.ts'
import {
  aggregateRecords,
  type AggregateRecordsOptions,
  type AggregateRow,
} from './aggregate-records.ts'
import { countRecords } from './count-records.ts'
import { createRecord, type CreateRecordOptions } from './create-record.ts'
import { createKey, type CreateKeyInput } from './create-key.ts'
import { createTable, type CreateTableInput } from './create-table.ts'
import { deleteKey } from './delete-key.ts'
import { findRecordIdByKey } from './find-record-by-key.ts'
import { deleteRecord, type DeleteRecordOptions } from './delete-record.ts'
import { getTable } from './get-table.ts'
import type { RecordsContext } from './internal/context.ts'
import { StatementCache } from './internal/statement-cache.ts'
import { CatalogCache, findTable } from './internal/table-catalog.ts'
import { listTables } from './list-tables.ts'
import type { ColumnDef, KeyDef, RecordData, TableDef } from './model.ts'
import { provisionEnvironment, type ProvisionedIds } from './provision-environment.ts'
import { queryRecords, type QueryRecordsOptions, type QueryRecordsResult } from './query-records.ts'
import { readSecurityVersion } from '../authz/read-security-version.ts'
import { readProvisionedIds } from './read-provisioned-ids.ts'
import type { RecordScope } from './record-scope.ts'
import { retrieveRecord, type RetrieveRecordOptions } from './retrieve-record.ts'
import { ColumnAadCache } from './cells/column-aad.ts'
import {
  setColumnEncryption,
  type ColumnEncryptionInput,
  type ColumnEncryptionResult,
} from './set-column-encryption.ts'
import { setColumnSecured, type ColumnSecuredResult } from './set-column-secured.ts'
import { openUnitOfWork } from './unit-of-work.ts'
import { updateRecord, type UpdateRecordOptions } from './update-record.ts'

/** Dependencies of the records service. */
export interface RecordsServiceOptions {
  readonly databases: EnvironmentDatabases
  readonly clock: Clock
  readonly random: Random
  /** Environments whose table metadata is cached (default 256). */
  readonly metadataCacheCapacity?: number
  /**
   * How encrypted cells are opened (default defaultTextOpener: the native one-shot AEAD when
   * it is built, node:crypto otherwise).
   */
  readonly textOpener?: TextOpener
}

/**
 * The record operations: what a unit of work (`records.transaction`) offers as well as the
 * service. Metadata changes (createTable, addColumn, createKey, deleteKey) and provisioning are only on the service.
 */
export interface RecordOperations {
  /** The seed ids stored at provisioning. */
  readProvisionedIds(env: EnvironmentId): Promise<ProvisionedIds>
  listTables(env: EnvironmentId): Promise<TableDef[]>
  getTable(env: EnvironmentId, nameOrEntitySet: string): Promise<TableDef>
  createRecord(
    env: EnvironmentId,
    table: string,
    data: Readonly<Record<string, unknown>>,
    options: CreateRecordOptions,
  ): Promise<RecordId>
  retrieveRecord(
    env: EnvironmentId,
    table: string,
    id: string,
    options?: RetrieveRecordOptions,
  ): Promise<RecordData>
  /**
   * The id of the record whose alternate key columns hold `values` (exactly the columns of one
   * key of `table`), or undefined (see findRecordIdByKey). Unscoped.
   */
  findRecordIdByKey(
    env: EnvironmentId,
    table: string,
    values: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined>
  /** @returns the new versionnumber */
  updateRecord(
    env: EnvironmentId,
    table: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    options: UpdateRecordOptions,
  ): Promise<number>
  deleteRecord(
    env: EnvironmentId,
    table: string,
    id: string,
    options: DeleteRecordOptions,
  ): Promise<void>
  queryRecords(
    env: EnvironmentId,
    table: string,
    options: ParsedQueryOptions,
    extra?: QueryRecordsOptions,
  ): Promise<QueryRecordsResult>
  countRecords(
    env: EnvironmentId,
    table: string,
    options: ParsedQueryOptions,
    extra?: { readonly scope?: RecordScope },
  ): Promise<number>
  /** A parsed $apply (filter, groupby, aggregates) in SQL; see aggregateRecords. */
  aggregateRecords(
    env: EnvironmentId,
    table: string,
    apply: ApplyNode,
    extra?: AggregateRecordsOptions,
  ): Promise<AggregateRow[]>
  /**
   * A unit of work: every operation called on `tx` runs in ONE transaction on `env`'s database
   * (BEGIN IMMEDIATE … COMMIT when `fn` resolves, ROLLBACK when it throws), and each write on
   * `tx` is itself atomic (a savepoint), so catching its error leaves nothing of it behind.
   * The environment's connection is held for the whole of `fn`: keep it short, and call
   * operations on `tx` only — calling the service itself for the same environment inside `fn`
   * throws instead of waiting forever. On `tx`, this nests under a savepoint.
   *
   * @returns what `fn` returned, after the commit
   * @throws whatever `fn` threw, after the rollback
   */
  transaction<T>(env: EnvironmentId, fn: (tx: RecordOperations) => Promise<T>): Promise<T>
}

/** Tables, columns and records of environments, in Dataverse terms. */
export interface RecordsService extends RecordOperations {
  /** Provisions a freshly created environment database (see provisionEnvironment). */
  provisionEnvironment(env: EnvironmentId, organizationName: string): Promise<ProvisionedIds>
  /** The environment's security version (authz readSecurityVersion), for caller caches. */
  readSecurityVersion(env: EnvironmentId): Promise<string>
  createTable(env: EnvironmentId, input: CreateTableInput): Promise<TableDef>
  addColumn(env: EnvironmentId, table: string, input: AddColumnInput): Promise<ColumnDef>
  /** Adds an alternate key backed by a UNIQUE index (see createKey). */
  createKey(env: EnvironmentId, table: string, input: CreateKeyInput): Promise<KeyDef>
  /** Removes an alternate key and its index (see deleteKey). */
  deleteKey(env: EnvironmentId, table: string, name: string): Promise<void>
  /**
   * Marks a column encrypted (cell-level encryption; one-way) and/or gives it a blind index,
   * sealing its stored values in one transaction. See setColumnEncryption.
   */
  setColumnEncryption(
    env: EnvironmentId,
    table: string,
    column: string,
    input: ColumnEncryptionInput,
  ): Promise<ColumnEncryptionResult>
  /** Marks a column secured (column security) or not. See setColumnSecured. */
  setColumnSecured(
    env: EnvironmentId,
    table: string,
    column: string,
    secured: boolean,
  ): Promise<ColumnSecuredResult>
  /** Drops the cached metadata of an environment (call after deleting or purging it). */
  forget(env: EnvironmentId): void
}

/**
 * Creates the records service. Every call opens (or reuses) the environment's database through
 * `databases.use`, and each write runs in one transaction (or in the caller's unit of work,
 * see `transaction`). Table metadata is cached per
 * environment in this instance and re-read when SQLite's schema version moves, so a column
 * added by another process is seen at the next call.
 */
export function createRecordsService(options: RecordsServiceOptions): RecordsService {
  const { databases, clock, random } = options
  const catalogs = new CatalogCache(options.metadataCacheCapacity ?? 256)
  const statements = new StatementCache()
  const columnAad = new ColumnAadCache(options.textOpener ?? defaultTextOpener())
  // The environments whose connection the current async context holds in a unit of work.
  // Enabled only while a unit of work is open: an enabled AsyncLocalStorage installs promise
  // hooks for the whole process, which cost every request ~20 µs of CPU (bench:api session 3).
  const holding = new AsyncLocalStorage<ReadonlySet<EnvironmentId>>()
  let openUnits = 0
  const run = <T>(env: EnvironmentId, fn: (ctx: RecordsContext) => Promise<T>): Promise<T> => {
    if (holding.getStore()?.has(env) === true) {
      // The connection's mutex is held by the enclosing unit of work: waiting would deadlock.
      return Promise.reject(
        new Error(
          'records: called for an environment whose unit of work is open in this context; call the operation on tx',
        ),
      )
    }
    return databases.use(env, (db, handle) => fn(contextOf(env, db, handle)))
  }
  // One context per open handle (the handle object lives as long as the open database).
  const contexts = new WeakMap<OpenEnvironment, RecordsContext>()
  const contextOf = (env: EnvironmentId, db: EnvDb, handle: OpenEnvironment): RecordsContext => {
    let ctx = contexts.get(handle)
    if (ctx === undefined || ctx.db !== db) {
      ctx = {
        db,
        environmentId: env,
        fieldKey: handle.fieldKey,
        derivedKey: handle.derivedKey,
        reader: handle.reader,
        statements,
        columnAad,
        clock,
        random,
        // The stamp is read before the catalog is checked, so a change after it is seen.
        catalog: (through) => catalogs.get(env, through, databases.stamp(env)),
        currentCatalog: () => catalogs.peek(env, databases.stamp(env)),
      }
      contexts.set(handle, ctx)
    }
    return ctx
  }
  return {
    provisionEnvironment: (env, organizationName) =>
      run(env, (ctx) =>
        provisionEnvironment(ctx.db, { environmentId: env, organizationName, clock, random }),
      ),
    readProvisionedIds: (env) => run(env, (ctx) => readProvisionedIds(ctx)),
    readSecurityVersion: (env) =>
      run(env, async (ctx) => {
        // Prefixed with the connection's epoch (the change stamp's first field, new on every
        // open): a file replaced by a restore or copy can't repeat a version a cache holds.
        const epoch = (databases.stamp(env) ?? '').split(':', 1)[0] ?? ''
        return `${epoch}:${await readSecurityVersion(ctx.db)}`
      }),
    listTables: (env) => run(env, (ctx) => listTables(ctx)),
    getTable: (env, name) => {
      // The hot path: the catalog cached under the open database's current stamp, no I/O.
      const current = catalogs.peek(env, databases.stamp(env))
      if (current === undefined) return run(env, (ctx) => getTable(ctx, name))
      try {
        return Promise.resolve(findTable(current, name))
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)))
      }
    },
    createTable: (env, input) => run(env, (ctx) => createTable(ctx, input)),
    addColumn: (env, table, input) => run(env, (ctx) => addColumn(ctx, table, input)),
    createKey: (env, table, input) => run(env, (ctx) => createKey(ctx, table, input)),
    deleteKey: (env, table, name) => run(env, (ctx) => deleteKey(ctx, table, name)),
    findRecordIdByKey: (env, table, values) =>
      run(env, (ctx) => findRecordIdByKey(ctx, table, values)),
    setColumnEncryption: (env, table, column, input) =>
      run(env, (ctx) => setColumnEncryption(ctx, table, column, input)),
    setColumnSecured: (env, table, column, secured) =>
      run(env, (ctx) => setColumnSecured(ctx, table, column, secured)),
    createRecord: (env, table, data, opts) =>
      run(env, (ctx) => createRecord(ctx, table, data, opts)),
    retrieveRecord: (env, table, id, opts) =>
      run(env, (ctx) => retrieveRecord(ctx, table, id, opts)),
    updateRecord: (env, table, id, data, opts) =>
      run(env, (ctx) => updateRecord(ctx, table, id, data, opts)),
    deleteRecord: (env, table, id, opts) => run(env, (ctx) => deleteRecord(ctx, table, id, opts)),
    queryRecords: (env, table, query, extra) =>
      run(env, (ctx) => queryRecords(ctx, table, query, extra)),
    countRecords: (env, table, query, extra) =>
      run(env, (ctx) => countRecords(ctx, table, query, extra)),
    aggregateRecords: (env, table, apply, extra) =>
      run(env, (ctx) => aggregateRecords(ctx, table, apply, extra)),
    transaction: (env, fn) =>
      run(env, (ctx) =>
        ctx.db.transaction().execute(async (trx) => {
          const unit = openUnitOfWork(env, trx, ctx)
          const held = new Set(holding.getStore())
          held.add(env)
          openUnits += 1
          try {
            return await holding.run(held, () => fn(unit.operations))
          } finally {
            try {
              await unit.end()
            } finally {
              openUnits -= 1
              // No unit of work open: nothing to detect, so no promise hooks (run enables
              // them again for the next one).
              if (openUnits === 0) holding.disable()
            }
          }
        }),
      ),
    forget: (env) => {
      catalogs.forget(env)
    },
  }
}
