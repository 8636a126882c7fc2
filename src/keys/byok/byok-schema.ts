import type Database from 'better-sqlite3-multiple-ciphers'
import { AppError } from '../../shared/errors.ts'

/** Schema version kept in PRAGMA user_version. */
export const BYOK_SCHEMA_VERSION = 2
// sqlite.org/pragma.html#pragma_application_id: marks the file as an uploaded-key store, so a
// local-vault file (or any other database) opened here by mistake is refused, not migrated.
const APPLICATION_ID = 0x53524b42 // 'SRKB'

// STRICT tables and CHECKs: a destroyed version holds no material, a live one always does.
const DDL = `
CREATE TABLE byok_keys (
  key_id TEXT PRIMARY KEY NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('rsa-2048', 'rsa-3072', 'rsa-4096')),
  current_version INTEGER NOT NULL CHECK (current_version >= 1),
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE byok_versions (
  key_id TEXT NOT NULL REFERENCES byok_keys (key_id),
  version INTEGER NOT NULL CHECK (version >= 1),
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'destroyed')),
  material BLOB,
  certificate BLOB NOT NULL,
  not_after TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, version),
  CHECK ((status = 'destroyed') = (material IS NULL))
) STRICT;
`

// Version 2 (issue #6, HSM-wrapped key import): a version imported from a wrapped blob has no
// certificate, so certificate and not_after become nullable (together); and the key-exchange
// keys (KEKs) a customer's HSM wraps a key for. SQLite can't relax a STRICT column, so the
// versions table is rebuilt.
const MIGRATE_V2 = `
CREATE TABLE byok_versions_v2 (
  key_id TEXT NOT NULL REFERENCES byok_keys (key_id),
  version INTEGER NOT NULL CHECK (version >= 1),
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'destroyed')),
  material BLOB,
  certificate BLOB,
  not_after TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, version),
  CHECK ((status = 'destroyed') = (material IS NULL)),
  CHECK ((certificate IS NULL) = (not_after IS NULL))
) STRICT;
INSERT INTO byok_versions_v2 (key_id, version, status, material, certificate, not_after, created_at)
  SELECT key_id, version, status, material, certificate, not_after, created_at FROM byok_versions;
DROP TABLE byok_versions;
ALTER TABLE byok_versions_v2 RENAME TO byok_versions;
CREATE TABLE byok_exchange_keys (
  kek_id TEXT PRIMARY KEY NOT NULL,
  scope TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('rsa-3072')),
  material BLOB NOT NULL,
  public_key BLOB NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX byok_exchange_keys_by_scope ON byok_exchange_keys (scope, expires_at);
`

function pragmaNumber(db: Database.Database, name: string): number {
  const v: unknown = db.pragma(name, { simple: true })
  if (typeof v !== 'number') throw new TypeError(`PRAGMA ${name} did not return a number`)
  return v
}

/**
 * Creates the uploaded-key tables in a fresh store, or checks an existing one.
 *
 * @throws AppError DATA_DIR_INVALID when the file is another kind of database or was written
 * by a newer schema.
 */
export function migrateByok(db: Database.Database): void {
  db.transaction(() => {
    const v = pragmaNumber(db, 'user_version')
    const app = pragmaNumber(db, 'application_id')
    if (v === 0 && app === 0) {
      db.exec(DDL)
      db.exec(MIGRATE_V2)
      db.pragma(`application_id = ${String(APPLICATION_ID)}`)
      db.pragma(`user_version = ${String(BYOK_SCHEMA_VERSION)}`)
      return
    }
    if (app !== APPLICATION_ID) {
      throw new AppError('DATA_DIR_INVALID', 'The file is not an uploaded-key store.', {
        cause: { applicationId: app },
      })
    }
    if (v === 1) {
      db.exec(MIGRATE_V2)
      db.pragma(`user_version = ${String(BYOK_SCHEMA_VERSION)}`)
      return
    }
    if (v === BYOK_SCHEMA_VERSION) return
    throw new AppError(
      'DATA_DIR_INVALID',
      'The uploaded-key store was written by a newer version of Strongroom; upgrade to open it.',
      { cause: { userVersion: v } },
    )
  }).immediate()
}
