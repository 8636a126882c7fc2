import { z } from 'zod'
import { AppError } from '../../shared/errors.ts'
import { KEY_TYPES, KEY_VERSION_STATUSES } from '../key-provider.ts'
import type { KeyRef, ProviderKeyInfo } from '../key-provider.ts'
import type { VaultContext } from './vault-context.ts'
import { vaultCorrupt } from './vault-errors.ts'

// Rows read back from the database are parsed like any other input (STYLE §6).
const KeyRow = z.strictObject({
  key_id: z.string().max(64),
  label: z.string().max(256),
  type: z.enum(KEY_TYPES),
  current_version: z.number().int().positive(),
  created_at: z.iso.datetime(),
})
const VersionInfoRow = z.strictObject({
  version: z.number().int().positive(),
  status: z.enum(KEY_VERSION_STATUSES),
  created_at: z.iso.datetime(),
})
const VersionRow = z.strictObject({
  type: z.enum(KEY_TYPES),
  status: z.enum(KEY_VERSION_STATUSES),
  material: z.instanceof(Uint8Array).nullable(),
})
/** One key version with what wrap/unwrap need. */
export type VersionRow = z.infer<typeof VersionRow>

function parseRow<T>(schema: z.ZodType<T>, row: unknown): T {
  const r = schema.safeParse(row)
  if (!r.success) throw vaultCorrupt(r.error)
  return r.data
}

export function keyNotFound(): AppError {
  // The key id is left out of the message: ids go in logs, not in client-facing text (STYLE §5.5).
  return new AppError('KEY_NOT_FOUND', 'No such key or key version.')
}

/** Reads a key and its versions in one read transaction (one WAL snapshot). */
export function readKeyInfo(ctx: VaultContext, keyId: string): ProviderKeyInfo {
  return ctx.db
    .transaction(() => {
      const key = ctx.db
        .prepare(
          'SELECT key_id, label, type, current_version, created_at FROM keys WHERE key_id = ?',
        )
        .get(keyId)
      if (key === undefined) throw keyNotFound()
      const k = parseRow(KeyRow, key)
      const versions = ctx.db
        .prepare(
          'SELECT version, status, created_at FROM key_versions WHERE key_id = ? ORDER BY version',
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
export function readVersion(ctx: VaultContext, ref: KeyRef): VersionRow {
  const row = ctx.db
    .prepare(
      `SELECT k.type, v.status, v.material FROM key_versions v JOIN keys k ON k.key_id = v.key_id
       WHERE v.key_id = ? AND v.version = ?`,
    )
    .get(ref.keyId, ref.version)
  if (row === undefined) throw keyNotFound()
  return parseRow(VersionRow, row)
}
