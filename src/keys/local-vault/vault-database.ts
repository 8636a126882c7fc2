import fs from 'node:fs'
import Database from 'better-sqlite3-multiple-ciphers'
import { AppError } from '../../shared/errors.ts'
import type { Secret } from '../../shared/secret.ts'
import { isErrno } from '../durable-file.ts'
import { toVaultError } from './vault-errors.ts'
import { migrateVault } from './vault-schema.ts'

const VAULT_KEY_LENGTH = 32

/**
 * Opens (creating with mode 0600 if missing) the encrypted vault database with a raw 32-byte
 * key, sets the pragmas the vault relies on, checks the key by reading the schema, and migrates.
 *
 * @throws AppError VAULT_CORRUPT when the file is not a vault or the key does not match;
 * DATA_DIR_INVALID when the file can't be created or opened.
 * @throws RangeError when the key is not 32 bytes.
 */
export function openVaultDatabase(file: string, key: Secret): Database.Database {
  if (key.length !== VAULT_KEY_LENGTH) throw new RangeError('The vault key must be 32 bytes')
  try {
    // Create the file ourselves so it is 0600 from its first byte; SQLite then gives its -wal and
    // -shm files the same mode as the database file (SQLite os_unix.c findCreateFileMode).
    fs.closeSync(fs.openSync(file, 'wx', 0o600))
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) {
      throw new AppError('DATA_DIR_INVALID', "The key vault file can't be created.", { cause: e })
    }
  }
  let db: Database.Database
  try {
    db = new Database(file, { fileMustExist: true })
  } catch (e) {
    throw toVaultError(e)
  }
  try {
    // SQLite3 Multiple Ciphers: choose the cipher before the key. AEGIS is an authenticated
    // cipher, so every page (and WAL frame) is integrity-checked, not only encrypted.
    db.pragma("cipher = 'aegis'")
    // A raw key (x'..'), not a passphrase: the key is already 256 random bits, so no KDF. The
    // hex string exists only for this call; the SQLite API takes the key as SQL text.
    db.pragma(`key = "x'${Buffer.from(key.expose()).toString('hex')}'"`)
    // Set before the first statement that takes a lock, so a CLI and a server opening the vault
    // at once wait for each other instead of failing with SQLITE_BUSY.
    db.pragma('busy_timeout = 5000')
    db.pragma('journal_mode = WAL')
    // WAL + FULL: a committed key survives power loss (sqlite.org/pragma.html#pragma_synchronous).
    db.pragma('synchronous = FULL')
    // No temporary files on disk (DESIGN invariant 2).
    db.pragma('temp_store = MEMORY')
    // Overwrite deleted content with zeros, so destroyed key material does not linger in free
    // pages (sqlite.org/pragma.html#pragma_secure_delete).
    db.pragma('secure_delete = ON')
    db.pragma('foreign_keys = ON')
    // The first read of page 1: with the wrong key or a non-vault file this fails with
    // SQLITE_NOTADB.
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    migrateVault(db)
    return db
  } catch (e) {
    db.close()
    throw toVaultError(e)
  }
}
