import { createPrivateKey, createPublicKey } from 'node:crypto'
import { z } from 'zod'
import { open, seal } from '../../crypto/aead.ts'
import { encodeContext } from '../../crypto/encode-context.ts'
import { AppError } from '../../shared/errors.ts'
import { KEY_VERSION_STATUSES } from '../key-provider.ts'
import type { KeyRef, ProviderKeyInfo } from '../key-provider.ts'
import type { Kek } from '../local-vault/kek-material.ts'
import { vaultCorrupt } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'

const RSA_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096'] as const
const RSA_BITS = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 } as const
/** The RSA key types an uploaded key may have. */
export type ByokKeyType = (typeof RSA_TYPES)[number]

// Rows read back from the database are parsed like any other input (STYLE §6).
const KeyRow = z.strictObject({
  key_id: z.string().max(64),
  label: z.string().max(256),
  type: z.enum(RSA_TYPES),
  current_version: z.number().int().positive(),
  created_at: z.iso.datetime(),
})
const VersionInfoRow = z.strictObject({
  version: z.number().int().positive(),
  status: z.enum(KEY_VERSION_STATUSES),
  created_at: z.iso.datetime(),
})
const VersionRow = z.strictObject({
  type: z.enum(RSA_TYPES),
  status: z.enum(KEY_VERSION_STATUSES),
  material: z.instanceof(Uint8Array).nullable(),
})
/** One uploaded key version with what wrap/unwrap need. */
export type ByokVersionRow = z.infer<typeof VersionRow>

function parseRow<T>(schema: z.ZodType<T>, row: unknown): T {
  const r = schema.safeParse(row)
  if (!r.success) throw vaultCorrupt(r.error)
  return r.data
}

export function keyNotFound(): AppError {
  // The key id is left out of the message: ids go in logs, not in client-facing text (STYLE §5.5).
  return new AppError('KEY_NOT_FOUND', 'No such key or key version.')
}

/** Reads a key and its versions in one read transaction. @throws AppError KEY_NOT_FOUND */
export function readKeyInfo(ctx: ByokContext, keyId: string): ProviderKeyInfo {
  return ctx.db
    .transaction(() => {
      const key = ctx.db
        .prepare(
          'SELECT key_id, label, type, current_version, created_at FROM byok_keys WHERE key_id = ?',
        )
        .get(keyId)
      if (key === undefined) throw keyNotFound()
      const k = parseRow(KeyRow, key)
      const versions = ctx.db
        .prepare(
          'SELECT version, status, created_at FROM byok_versions WHERE key_id = ? ORDER BY version',
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

/** Reads one version's type, status and sealed key. @throws AppError KEY_NOT_FOUND */
export function readVersion(ctx: ByokContext, ref: KeyRef): ByokVersionRow {
  const row = ctx.db
    .prepare(
      `SELECT k.type, v.status, v.material FROM byok_versions v JOIN byok_keys k ON k.key_id = v.key_id
       WHERE v.key_id = ? AND v.version = ?`,
    )
    .get(ref.keyId, ref.version)
  if (row === undefined) throw keyNotFound()
  return parseRow(VersionRow, row)
}

// Binds a sealed key to its row: copied onto another key id, version or type, it fails to open.
const materialAad = (ref: KeyRef, type: ByokKeyType): Uint8Array =>
  encodeContext('strongroom/byok/key/v1', [ref.keyId, String(ref.version), type])

/** Seals a PKCS#8 DER private key for storage (AES-256-GCM under the material key). */
export const sealPrivateKey = (
  ctx: ByokContext,
  ref: KeyRef,
  type: ByokKeyType,
  der: Uint8Array,
): Uint8Array => seal(ctx.materialKey, der, materialAad(ref, type), ctx.random)

/**
 * Opens a sealed private key into a usable KEK; the DER bytes are wiped.
 *
 * @throws AppError VAULT_CORRUPT when it doesn't authenticate or is not the right RSA size.
 */
export function openPrivateKey(
  ctx: ByokContext,
  ref: KeyRef,
  type: ByokKeyType,
  sealed: Uint8Array,
): Kek {
  let der: Uint8Array
  try {
    der = open(ctx.materialKey, sealed, materialAad(ref, type))
  } catch (e) {
    throw vaultCorrupt(e)
  }
  try {
    const privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    if (privateKey.asymmetricKeyDetails?.modulusLength !== RSA_BITS[type]) throw vaultCorrupt()
    return { type, privateKey, publicKey: createPublicKey(privateKey) }
  } catch (e) {
    throw vaultCorrupt(e)
  } finally {
    der.fill(0)
  }
}
