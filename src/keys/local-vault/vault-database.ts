import type Database from 'better-sqlite3-multiple-ciphers'
import type { Secret } from '../../shared/secret.ts'
import { openEncryptedKeyStore } from '../encrypted-key-store.ts'
import { migrateVault } from './vault-schema.ts'

/**
 * Opens (creating with mode 0600 if missing) the encrypted vault database with a raw 32-byte
 * key, sets the pragmas the vault relies on, checks the key by reading the schema, and migrates.
 *
 * @throws AppError VAULT_CORRUPT when the file is not a vault or the key does not match;
 * DATA_DIR_INVALID when the file can't be created or opened.
 * @throws RangeError when the key is not 32 bytes.
 */
export function openVaultDatabase(file: string, key: Secret): Database.Database {
  return openEncryptedKeyStore(file, key, { migrate: migrateVault, name: 'key vault' })
}
