import { z } from 'zod'
import { AppError } from '../../shared/errors.ts'
import type { ProviderKeyInfo } from '../key-provider.ts'
import { guarded } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'
import { keyNotFound, readKeyInfo, sealPrivateKey, type ByokKeyType } from './byok-rows.ts'

/** A validated private key to store (from a PFX or an HSM-wrapped blob). */
export interface ImportedKey {
  readonly type: ByokKeyType
  /** PKCS#8 DER; the caller wipes it. */
  readonly privateKeyDer: Uint8Array
  /** The matching certificate (PFX), or null (wrapped blob: no certificate travels with it). */
  readonly certificate: { readonly der: Uint8Array; readonly notAfter: Date } | null
}

const Label = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, 'control characters are not allowed')

/**
 * Parses a new key's label. @throws AppError VALIDATION
 */
export function parseLabel(label: string | undefined): string {
  const parsed = Label.safeParse(label ?? 'Uploaded key')
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'The key options are invalid.', {
      details: parsed.error.issues.map((i) => ({ path: 'label', message: i.message })),
    })
  }
  return parsed.data
}

/**
 * Stores an imported private key sealed: version 1 of a new key with a GUID key id, or version
 * n+1 (now current) of `keyId`, which must have the same type. Earlier versions keep their
 * status.
 *
 * @throws AppError KEY_IMPORT_INVALID (another size than the key), KEY_NOT_FOUND
 */
export function storeImportedKey(
  ctx: ByokContext,
  key: ImportedKey,
  target: { readonly label: string; readonly keyId?: string | undefined },
): ProviderKeyInfo {
  const at = ctx.clock.now().toISOString()
  const keyId = target.keyId ?? ctx.random.uuid()
  guarded(() => {
    ctx.db
      .transaction(() => {
        let version = 1
        if (target.keyId === undefined) {
          ctx.db
            .prepare(
              'INSERT INTO byok_keys (key_id, label, type, current_version, created_at) VALUES (?, ?, ?, 1, ?)',
            )
            .run(keyId, target.label, key.type, at)
        } else {
          const { type, versions } = readKeyInfo(ctx, keyId)
          if (type !== key.type) {
            throw new AppError(
              'KEY_IMPORT_INVALID',
              `The key file was refused: a new version must have the same size as the key (${type}).`,
            )
          }
          version = Math.max(0, ...versions.map((v) => v.version)) + 1
          const updated = ctx.db
            .prepare('UPDATE byok_keys SET current_version = ? WHERE key_id = ?')
            .run(version, keyId)
          if (updated.changes !== 1) throw keyNotFound()
        }
        const sealed = sealPrivateKey(ctx, { keyId, version }, key.type, key.privateKeyDer)
        ctx.db
          .prepare(
            `INSERT INTO byok_versions (key_id, version, status, material, certificate, not_after, created_at)
             VALUES (?, ?, 'enabled', ?, ?, ?, ?)`,
          )
          .run(
            keyId,
            version,
            sealed,
            key.certificate?.der ?? null,
            key.certificate?.notAfter.toISOString() ?? null,
            at,
          )
      })
      .immediate()
  })
  return guarded(() => readKeyInfo(ctx, keyId))
}
