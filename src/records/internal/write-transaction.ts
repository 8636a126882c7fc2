import type { EnvDb } from '../../storage/index.ts'
import { duplicateFromConstraint } from './unique-violation.ts'

/**
 * Runs a write against `db` atomically. When `db` is the database, it opens its own
 * transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on throw, see sqlite-dialect). When `db` is
 * already a transaction (a unit of work, see records.transaction), it runs inside it: the
 * enclosing unit of work decides commit or rollback. A UNIQUE violation (an alternate key's
 * index) becomes RECORD_DUPLICATE, never an internal error.
 */
export async function writeTransaction<T>(db: EnvDb, fn: (trx: EnvDb) => Promise<T>): Promise<T> {
  try {
    return await (db.isTransaction ? fn(db) : db.transaction().execute(fn))
  } catch (e) {
    throw duplicateFromConstraint(e) ?? e
  }
}
