import { AppError, isAppError } from '../../shared/errors.ts'

/** The SQLite result code of a better-sqlite3 error, if it is one. */
export function sqliteCode(e: unknown): string | undefined {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') {
    return e.code.startsWith('SQLITE_') ? e.code : undefined
  }
  return undefined
}

/** An AppError VAULT_CORRUPT; the message never says which check failed (STYLE §5.6). */
export function vaultCorrupt(cause?: unknown): AppError {
  return new AppError(
    'VAULT_CORRUPT',
    "The key vault can't be read: it is damaged, was altered, or the vault key does not match.",
    { cause },
  )
}

/**
 * Maps SQLite failures to the vault's error codes: SQLITE_NOTADB and SQLITE_CORRUPT* (which is
 * also what a wrong raw key looks like to an encrypted database) → VAULT_CORRUPT; SQLITE_BUSY
 * after the busy timeout → KEY_UNAVAILABLE. AppErrors pass through; anything else is rethrown
 * unchanged and becomes INTERNAL at the boundary.
 */
export function toVaultError(e: unknown): unknown {
  if (isAppError(e)) return e
  const code = sqliteCode(e)
  if (code === undefined) return e
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return vaultCorrupt(e)
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError('KEY_UNAVAILABLE', 'The key vault is busy; try again.', { cause: e })
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY')) {
    return new AppError('DATA_DIR_INVALID', "The key vault file can't be opened for writing.", {
      cause: e,
    })
  }
  return e
}

/** Runs `fn`, translating SQLite errors with {@link toVaultError}. */
export function guarded<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw toVaultError(e)
  }
}
