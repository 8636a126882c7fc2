import { chmodSync, existsSync } from 'node:fs'
import Database from 'better-sqlite3-multiple-ciphers'
import { AppError, type ErrorCode } from '../../shared/errors.ts'
import type { Secret } from '../../shared/secret.ts'

/**
 * Page ciphers of SQLite3 Multiple Ciphers that we allow. The default is chosen by measurement
 * (bench/cipher-choice.ts, figures in bench/README.md): AEGIS-256 is authenticated and ran at
 * about plain speed; SQLCipher's AES-CBC+HMAC pages cost about 3x on cache misses.
 */
export type PageCipher = 'aegis' | 'chacha20' | 'sqlcipher'
export const PAGE_CIPHERS: readonly PageCipher[] = ['aegis', 'chacha20', 'sqlcipher']

export interface OpenDatabaseOptions {
  readonly cipher: PageCipher
  /** Create the file when missing (mode 0600). Otherwise a missing file is an error. */
  readonly create: boolean
  /** Page cache per connection in KiB; with the handle cache size this bounds memory. */
  readonly pageCacheKiB: number
  /** 'full' survives power loss; 'normal' survives a process crash (WAL). */
  readonly synchronous: 'full' | 'normal'
  readonly busyTimeoutMs: number
  /** Error code to use when the file is damaged or the key does not open it. */
  readonly corruptCode: ErrorCode
  readonly what: string
  /**
   * Overwrite deleted content with zeros (PRAGMA secure_delete). On for the control plane, so
   * a purged environment's wrapped DEK doesn't linger in free pages (crypto-shredding).
   */
  readonly secureDelete?: boolean
}

/**
 * Opens an encrypted SQLite file with a raw 256-bit key. The key is given as `x'…'`, which
 * SQLite3MC uses as the page key directly: no passphrase KDF runs on open (measured 0.2 ms vs
 * 17-96 ms with a passphrase). WAL frames and rollback journals are encrypted with the same
 * key; temp_store=MEMORY keeps SQLite's temporary tables and sorts off the disk (temp files
 * are not encrypted).
 *
 * @throws DATABASE_CORRUPT (or `corruptCode`) when the key doesn't open the file or the file is
 *   damaged; `ENVIRONMENT_NOT_FOUND`-style codes are the caller's concern.
 */
export function openEncryptedDatabase(
  path: string,
  key: Secret,
  options: OpenDatabaseOptions,
): Database.Database {
  if (key.length !== 32) throw new RangeError('database key must be 32 bytes')
  const existed = existsSync(path)
  if (!existed && !options.create) {
    throw new AppError(options.corruptCode, `The ${options.what} file is missing.`)
  }
  let db: Database.Database
  try {
    db = new Database(path, { fileMustExist: !options.create })
  } catch (cause) {
    throw new AppError(options.corruptCode, `The ${options.what} file can't be opened.`, { cause })
  }
  try {
    // The cipher name comes from a closed list; the key is hex of our own bytes.
    if (!PAGE_CIPHERS.includes(options.cipher)) throw new RangeError('unknown cipher')
    db.pragma(`cipher='${options.cipher}'`)
    db.pragma(`key="x'${Buffer.from(key.expose()).toString('hex')}'"`)
    // Reading the schema is what proves the key: a wrong key or a damaged first page gives
    // SQLITE_NOTADB here.
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`)
    db.pragma('temp_store = MEMORY')
    db.pragma('foreign_keys = ON')
    db.pragma(`cache_size = -${Math.trunc(options.pageCacheKiB)}`)
    if (options.secureDelete === true) db.pragma('secure_delete = ON')
  } catch (cause) {
    db.close()
    if (cause instanceof AppError || cause instanceof RangeError) throw cause
    throw new AppError(
      options.corruptCode,
      `The ${options.what} file is damaged or does not open with its key.`,
      { cause },
    )
  }
  if (!existed) chmodSync(path, 0o600)
  return db
}

/** SQLite error codes that mean the file (not the statement) is bad. */
export function isCorruptionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_CORRUPT') ||
      code === 'SQLITE_NOTADB' ||
      code.startsWith('SQLITE_IOERR'))
  )
}
