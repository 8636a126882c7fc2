import type { AppError } from '../../shared/errors.ts'
import type { EnvDb } from '../../storage/index.ts'
import { duplicateFromConstraint } from './unique-violation.ts'
import { recordInvalid } from './record-invalid.ts'

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
    throw duplicateFromConstraint(e) ?? triggerRefusal(e) ?? e
  }
}

/**
 * A write refused by one of Strongroom's own triggers (e.g. a business unit moved under its
 * descendant, authz install-security-schema) as RECORD_INVALID. The triggers raise
 * '<column>|<message>', written to be shown to clients; any other error passes through.
 */
function triggerRefusal(e: unknown): AppError | undefined {
  if ((e as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_TRIGGER') return undefined
  const match = /^([a-z0-9_]{1,64})\|([^|]{1,200})$/.exec((e as Error).message)
  return match === null ? undefined : recordInvalid(match[1] ?? '', match[2] ?? '')
}
