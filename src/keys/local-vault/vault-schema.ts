import type Database from 'better-sqlite3-multiple-ciphers'
import { AppError } from '../../shared/errors.ts'

/** Schema version kept in PRAGMA user_version. */
export const VAULT_SCHEMA_VERSION = 1

// STRICT tables and CHECKs make the database refuse rows this code would never write, so a bug
// can't store a destroyed version that still has material, or live material without a status.
const DDL = `
CREATE TABLE keys (
  key_id TEXT PRIMARY KEY NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('aes-256', 'rsa-2048', 'rsa-3072', 'rsa-4096')),
  current_version INTEGER NOT NULL CHECK (current_version >= 1),
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE key_versions (
  key_id TEXT NOT NULL REFERENCES keys (key_id),
  version INTEGER NOT NULL CHECK (version >= 1),
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'destroyed')),
  material BLOB,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, version),
  CHECK ((status = 'destroyed') = (material IS NULL))
) STRICT;
`

function userVersion(db: Database.Database): number {
  const v: unknown = db.pragma('user_version', { simple: true })
  if (typeof v !== 'number') throw new TypeError('PRAGMA user_version did not return a number')
  return v
}

/**
 * Creates the vault tables in a fresh database, or checks an existing one's schema version.
 * Runs under BEGIN IMMEDIATE so two processes opening a new vault at once create it once.
 *
 * @throws AppError DATA_DIR_INVALID when the vault was written by a newer schema.
 */
export function migrateVault(db: Database.Database): void {
  db.transaction(() => {
    const v = userVersion(db)
    if (v === VAULT_SCHEMA_VERSION) return
    if (v === 0) {
      db.exec(DDL)
      db.pragma(`user_version = ${String(VAULT_SCHEMA_VERSION)}`)
      return
    }
    throw new AppError(
      'DATA_DIR_INVALID',
      'The key vault was written by a newer version of Strongroom; upgrade to open it.',
      { cause: { userVersion: v } },
    )
  }).immediate()
}
