import type Database from 'better-sqlite3-multiple-ciphers'
import { z } from 'zod'
import { AppError, isAppError } from '../../shared/errors.ts'
import { KEY_VERSION_STATUSES, type KeyType } from '../key-provider.ts'
import type { KeyHealth, KeyRef, KeyVersionStatus, ProviderKeyInfo } from '../key-provider.ts'
import { eventForStatus, transitionKeyVersion } from '../key-version-state.ts'
import { guarded, vaultCorrupt } from '../local-vault/vault-errors.ts'

/**
 * The tables of one encrypted key store (the local vault, the uploaded-key store): both keep
 * keys and their versions the same way, so the row logic is written once here. Table names are
 * constants of this module's callers, never input.
 */
export interface KeyTables {
  readonly keys: 'keys' | 'byok_keys'
  readonly versions: 'key_versions' | 'byok_versions'
  /** The key types this store may hold. */
  readonly types: readonly [KeyType, ...KeyType[]]
}

const VersionInfoRow = z.strictObject({
  version: z.number().int().positive(),
  status: z.enum(KEY_VERSION_STATUSES),
  created_at: z.iso.datetime(),
})
const StatusRow = z.strictObject({ status: z.enum(KEY_VERSION_STATUSES) })

// Rows read back from the database are parsed like any other input (STYLE §6).
function parseRow<T>(schema: z.ZodType<T>, row: unknown): T {
  const r = schema.safeParse(row)
  if (!r.success) throw vaultCorrupt(r.error)
  return r.data
}

export function keyNotFound(): AppError {
  // The key id is left out of the message: ids go in logs, not in client-facing text (STYLE §5.5).
  return new AppError('KEY_NOT_FOUND', 'No such key or key version.')
}

/** One key version with what wrap/unwrap need. */
export interface VersionRow {
  readonly type: KeyType
  readonly status: KeyVersionStatus
  readonly material: Uint8Array | null
}

/** Reads a key and its versions in one read transaction (one WAL snapshot). */
export function readKeyInfo(
  db: Database.Database,
  tables: KeyTables,
  keyId: string,
): ProviderKeyInfo {
  const KeyRow = z.strictObject({
    key_id: z.string().max(64),
    label: z.string().max(256),
    type: z.enum(tables.types),
    current_version: z.number().int().positive(),
    created_at: z.iso.datetime(),
  })
  return db
    .transaction(() => {
      const key = db
        .prepare(
          `SELECT key_id, label, type, current_version, created_at FROM ${tables.keys} WHERE key_id = ?`,
        )
        .get(keyId)
      if (key === undefined) throw keyNotFound()
      const k = parseRow(KeyRow, key)
      const versions = db
        .prepare(
          `SELECT version, status, created_at FROM ${tables.versions} WHERE key_id = ? ORDER BY version`,
        )
        .all(keyId)
        .map((row) => {
          const v = parseRow(VersionInfoRow, row)
          return { version: v.version, status: v.status, createdAt: new Date(v.created_at) }
        })
      return {
        keyId: k.key_id,
        label: k.label,
        type: k.type,
        currentVersion: k.current_version,
        versions,
      }
    })
    .deferred()
}

/** Reads one key version's type, status and sealed material. @throws AppError KEY_NOT_FOUND */
export function readVersion(db: Database.Database, tables: KeyTables, ref: KeyRef): VersionRow {
  const row = db
    .prepare(
      `SELECT k.type, v.status, v.material FROM ${tables.versions} v JOIN ${tables.keys} k ON k.key_id = v.key_id
       WHERE v.key_id = ? AND v.version = ?`,
    )
    .get(ref.keyId, ref.version)
  if (row === undefined) throw keyNotFound()
  return parseRow(
    z.strictObject({
      type: z.enum(tables.types),
      status: z.enum(KEY_VERSION_STATUSES),
      material: z.instanceof(Uint8Array).nullable(),
    }),
    row,
  )
}

/**
 * Moves a key version to `status` through the key-version state machine. Destroying sets the
 * status and erases the sealed material in the same transaction (crypto-shred; secure_delete
 * zeroes the freed cell), then truncates the WAL so the old page images go too where no reader
 * holds them. `afterCommit` runs once the change is committed (cache eviction).
 *
 * @throws AppError KEY_NOT_FOUND, INVALID_STATE
 */
export function setVersionStatus(
  db: Database.Database,
  tables: KeyTables,
  ref: KeyRef,
  status: KeyVersionStatus,
  afterCommit: () => void = () => undefined,
): void {
  const event = eventForStatus(status)
  guarded(() => {
    db.transaction(() => {
      const row = db
        .prepare(`SELECT status FROM ${tables.versions} WHERE key_id = ? AND version = ?`)
        .get(ref.keyId, ref.version)
      if (row === undefined) throw keyNotFound()
      const next = transitionKeyVersion(parseRow(StatusRow, row).status, event)
      db.prepare(
        `UPDATE ${tables.versions} SET status = ?, material = CASE WHEN ? = 'destroyed' THEN NULL ELSE material END
         WHERE key_id = ? AND version = ?`,
      ).run(next, next, ref.keyId, ref.version)
    }).immediate()
  })
  afterCommit()
  if (status === 'destroyed') {
    // Best effort: a concurrent reader can keep old frames until the next checkpoint; they are
    // still under the store's cipher and the material seal.
    guarded(() => db.pragma('wal_checkpoint(TRUNCATE)'))
  }
}

/**
 * A key version's health read from the store now: `missing` when unknown or destroyed,
 * `disabled`, `available`, or `unreachable` when the store is closed or can't be read. Never
 * throws.
 */
export function keyHealth(
  db: Database.Database | undefined,
  tables: KeyTables,
  ref: KeyRef,
): KeyHealth {
  if (db === undefined) return 'unreachable'
  try {
    const row = guarded(() => readVersion(db, tables, ref))
    if (row.status === 'destroyed') return 'missing'
    return row.status === 'disabled' ? 'disabled' : 'available'
  } catch (e) {
    if (isAppError(e) && e.code === 'KEY_NOT_FOUND') return 'missing'
    return 'unreachable'
  }
}
