import type Database from 'better-sqlite3-multiple-ciphers'
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely'
import { AppError, type ErrorCode } from '../../shared/errors.ts'
import { Lru } from '../../shared/lru.ts'
import { Mutex } from '../../shared/mutex.ts'
import { isCorruptionError } from './open-encrypted-database.ts'

export interface SqliteDialectOptions {
  readonly database: Database.Database
  /** Read INTEGER columns as bigint, so 64-bit values survive (environment databases). */
  readonly safeIntegers: boolean
  /** Error code for a damaged file discovered while running a statement. */
  readonly corruptCode: ErrorCode
  readonly statementCacheSize?: number
}

/**
 * Runs one read statement synchronously when the connection is free, skipping Kysely's
 * connection hand-off (the hot path of point reads).
 */
export interface SyncReader {
  /**
   * The first row of `sql` (a SELECT) with `params`, in `{ row }` (`row` undefined when there is
   * none); or undefined, without running anything, when a transaction holds the connection —
   * then go through Kysely, which waits for it.
   *
   * @throws AppError SERVICE_BUSY, the dialect's corruption code, or the driver's error
   */
  tryGet(
    sql: string,
    params: readonly unknown[],
  ): { readonly row: Record<string, unknown> | undefined } | undefined
}

/** A dialect for one connection, and the synchronous reader that shares its lock. */
export type SqliteDialect = Dialect & { readonly reader: SyncReader }

/**
 * Kysely dialect over one better-sqlite3 connection. Unlike kysely's own SQLite driver it
 * (1) serialises every statement and transaction on the connection with a mutex, so a
 * transaction that awaits never lets another caller's statements run inside it;
 * (2) starts write transactions with BEGIN IMMEDIATE, so two processes (CLI and server) never
 * deadlock upgrading a read lock; and (3) caches prepared statements by SQL text.
 */
export function sqliteDialect(options: SqliteDialectOptions): SqliteDialect {
  const mutex = new Mutex()
  const connection = new LockingSqliteConnection(options)
  const db = options.database
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new LockingSqliteDriver(db, mutex, connection),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (k: Kysely<unknown>): DatabaseIntrospector => new SqliteIntrospector(k),
    reader: {
      tryGet(sql, params) {
        // A held lock means a transaction is open across awaits: its uncommitted rows must not
        // be read from outside it.
        if (mutex.held || db.inTransaction) return undefined
        return { row: connection.getNow(sql, params) }
      },
    },
  }
}

class LockingSqliteDriver implements Driver {
  readonly #mutex: Mutex
  readonly #connection: LockingSqliteConnection
  readonly #db: Database.Database
  #release: (() => void) | undefined

  constructor(db: Database.Database, mutex: Mutex, connection: LockingSqliteConnection) {
    this.#db = db
    this.#mutex = mutex
    this.#connection = connection
  }

  async init(): Promise<void> {
    // The connection is opened (and keyed) by the caller before the dialect is built.
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#release = await this.#mutex.lock()
    return this.#connection
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // A failed statement may already have ended the transaction (e.g. SQLITE_FULL).
    if (this.#db.inTransaction) await connection.executeQuery(CompiledQuery.raw('ROLLBACK'))
  }

  releaseConnection(): Promise<void> {
    const release = this.#release
    this.#release = undefined
    release?.()
    return Promise.resolve()
  }

  async destroy(): Promise<void> {
    // The owner of the better-sqlite3 handle closes it; see storage/handle-cache.
  }
}

class LockingSqliteConnection implements DatabaseConnection {
  readonly #db: Database.Database
  readonly #safeIntegers: boolean
  readonly #corruptCode: ErrorCode
  readonly #statements: Lru<string, Database.Statement>

  constructor(options: SqliteDialectOptions) {
    this.#db = options.database
    this.#safeIntegers = options.safeIntegers
    this.#corruptCode = options.corruptCode
    this.#statements = new Lru(options.statementCacheSize ?? 256, () => undefined)
  }

  #prepare(text: string): Database.Statement {
    let stmt = this.#statements.get(text)
    if (stmt === undefined) {
      stmt = this.#db.prepare(text)
      if (stmt.reader) stmt.safeIntegers(this.#safeIntegers)
      this.#statements.set(text, stmt)
    }
    return stmt
  }

  // better-sqlite3 is synchronous; the Promise is Kysely's contract.
  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const stmt = this.#prepare(compiled.sql)
      const params = compiled.parameters as unknown[]
      if (stmt.reader) return Promise.resolve({ rows: stmt.all(params) as R[] })
      const { changes } = stmt.run(params)
      return Promise.resolve({ numAffectedRows: BigInt(changes), rows: [] })
    } catch (e) {
      return Promise.reject(this.#mapError(e))
    }
  }

  /** The first row of a read statement, now. The caller holds or has checked the lock. */
  getNow(sql: string, params: readonly unknown[]): Record<string, unknown> | undefined {
    try {
      const stmt = this.#prepare(sql)
      if (!stmt.reader) throw new Error('getNow runs read statements only')
      return stmt.get(params) as Record<string, unknown> | undefined
    } catch (e) {
      throw this.#mapError(e)
    }
  }

  #mapError(e: unknown): Error {
    if ((e as { code?: unknown }).code === 'SQLITE_BUSY') {
      return new AppError('SERVICE_BUSY', 'The database is busy; retry.', { cause: e })
    }
    if (isCorruptionError(e)) {
      return new AppError(this.#corruptCode, 'The database file is damaged.', { cause: e })
    }
    return e instanceof Error ? e : new Error(String(e))
  }

  // eslint-disable-next-line require-yield, @typescript-eslint/require-await -- streaming is not offered on this driver
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not supported; page with keyset queries instead')
  }
}
