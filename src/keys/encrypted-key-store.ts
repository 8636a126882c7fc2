import fs from 'node:fs'
import Database from 'better-sqlite3-multiple-ciphers'
import { AppError } from '../shared/errors.ts'
import type { Secret } from '../shared/secret.ts'
import { isErrno } from './durable-file.ts'
import { toVaultError } from './local-vault/vault-errors.ts'

const STORE_KEY_LENGTH = 32

/** Options of {@link openEncryptedKeyStore}. */
export interface EncryptedKeyStoreOptions {
  /** Creates or checks the store's tables; runs after the key has been checked. */
  readonly migrate: (db: Database.Database) => void
  /** What the store is called in error messages, e.g. 'key vault'. */
  readonly name: string
}

/**
 * Opens (creating with mode 0600 if missing) an encrypted SQLite key store with a raw 32-byte
 * key, sets the pragmas key stores rely on, checks the key by reading the schema, and migrates.
 * Shared by the local vault and the uploaded-key (BYOK) store.
 *
 * @throws AppError VAULT_CORRUPT when the file is not a store or the key does not match;
 * DATA_DIR_INVALID when the file can't be created or opened.
 * @throws RangeError when the key is not 32 bytes.
 */
export function openEncryptedKeyStore(
  file: string,
  key: Secret,
  opts: EncryptedKeyStoreOptions,
): Database.Database {
  if (key.length !== STORE_KEY_LENGTH) throw new RangeError(`The ${opts.name} key must be 32 bytes`)
  try {
    // Create the file ourselves so it is 0600 from its first byte; SQLite then gives its -wal and
    // -shm files the same mode as the database file (SQLite os_unix.c findCreateFileMode).
    fs.closeSync(fs.openSync(file, 'wx', 0o600))
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) {
      throw new AppError('DATA_DIR_INVALID', `The ${opts.name} file can't be created.`, {
        cause: e,
      })
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
    // Set before the first statement that takes a lock, so a CLI and a server opening the store
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
    // The first read of page 1: with the wrong key or a non-store file this fails with
    // SQLITE_NOTADB.
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    opts.migrate(db)
    return db
  } catch (e) {
    db.close()
    throw toVaultError(e)
  }
}
