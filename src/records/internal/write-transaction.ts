import type { EnvDb } from '../../storage/index.ts'

/**
 * Runs a write against `db` atomically. When `db` is the database, it opens its own
 * transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on throw, see sqlite-dialect). When `db` is
 * already a transaction (a unit of work, see records.transaction), it runs inside it: the
 * enclosing unit of work decides commit or rollback.
 */
export function writeTransaction<T>(db: EnvDb, fn: (trx: EnvDb) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn)
}
