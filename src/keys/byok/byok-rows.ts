import { createPrivateKey, createPublicKey } from 'node:crypto'
import { z } from 'zod'
import { open, seal } from '../../crypto/aead.ts'
import { encodeContext } from '../../crypto/encode-context.ts'
import type { KeyRef, ProviderKeyInfo } from '../key-provider.ts'
import * as rows from '../key-store/key-rows.ts'
import type { Kek } from '../local-vault/kek-material.ts'
import { vaultCorrupt } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'

const RSA_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096'] as const
const RSA_BITS = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 } as const
/** The RSA key types an uploaded key may have. */
export type ByokKeyType = (typeof RSA_TYPES)[number]

export { keyNotFound } from '../key-store/key-rows.ts'

/** The uploaded-key store's tables (see key-store/key-rows). */
export const BYOK_TABLES: rows.KeyTables = {
  keys: 'byok_keys',
  versions: 'byok_versions',
  types: RSA_TYPES,
}

/** One uploaded key version with what wrap/unwrap need. */
export type ByokVersionRow = rows.VersionRow & { readonly type: ByokKeyType }

/**
 * Reads a key and its versions in one read transaction, each version with its certificate's
 * `notAfter` as `expiresAt` (none for a key imported from a wrapped blob).
 * @throws AppError KEY_NOT_FOUND
 */
export const readKeyInfo = (ctx: ByokContext, keyId: string): ProviderKeyInfo =>
  ctx.db
    .transaction(() => {
      const info = rows.readKeyInfo(ctx.db, BYOK_TABLES, keyId)
      const notAfter = new Map<number, Date>()
      for (const row of ctx.db
        .prepare('SELECT version, not_after FROM byok_versions WHERE key_id = ?')
        .all(keyId)) {
        const r = NotAfterRow.safeParse(row)
        if (!r.success) throw vaultCorrupt(r.error)
        if (r.data.not_after !== null) notAfter.set(r.data.version, new Date(r.data.not_after))
      }
      return {
        ...info,
        versions: info.versions.map((v) => {
          const expiresAt = notAfter.get(v.version)
          return expiresAt === undefined ? v : { ...v, expiresAt }
        }),
      }
    })
    .deferred()

const NotAfterRow = z.strictObject({
  version: z.number().int().positive(),
  not_after: z.iso.datetime().nullable(),
})

/** Reads one version's type, status and sealed key. @throws AppError KEY_NOT_FOUND */
export const readVersion = (ctx: ByokContext, ref: KeyRef): ByokVersionRow =>
  // The row's type was parsed against BYOK_TABLES.types, the RSA types.
  rows.readVersion(ctx.db, BYOK_TABLES, ref) as ByokVersionRow

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
