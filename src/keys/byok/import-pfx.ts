import { z } from 'zod'
import { AppError } from '../../shared/errors.ts'
import type { Secret } from '../../shared/secret.ts'
import type { ProviderKeyInfo } from '../key-provider.ts'
import { guarded } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'
import { keyNotFound, readKeyInfo, sealPrivateKey } from './byok-rows.ts'
import { parsePfx } from './parse-pfx.ts'

/** Options of {@link importPfx}. */
export interface ImportPfxOptions {
  /** The PKCS#12/PFX file's bytes (at most 64 KiB). */
  readonly pfx: Uint8Array
  /** The PFX password, read by the caller from stdin or a file — never from argv. */
  readonly password: Secret
  /** A new key's label; ignored when `keyId` is given. Default 'Uploaded key'. */
  readonly label?: string
  /** Import as the next version of this key instead of creating a new key. */
  readonly keyId?: string
}

const Label = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, 'control characters are not allowed')

/**
 * Validates a PFX (parse-pfx.ts) and stores its private key sealed, as version 1 of a new key
 * with a GUID key id, or as version n+1 (now current) of `keyId`. Earlier versions keep their
 * status. The certificate is kept beside it (public); its expiry was checked at import.
 *
 * @throws AppError KEY_IMPORT_INVALID, VALIDATION, KEY_NOT_FOUND
 */
export function importPfx(ctx: ByokContext, opts: ImportPfxOptions): ProviderKeyInfo {
  const label = opts.label ?? 'Uploaded key'
  const parsedLabel = Label.safeParse(label)
  if (!parsedLabel.success) {
    throw new AppError('VALIDATION', 'The key options are invalid.', {
      details: parsedLabel.error.issues.map((i) => ({ path: 'label', message: i.message })),
    })
  }
  const now = ctx.clock.now()
  const parsed = parsePfx(opts.pfx, opts.password, now)
  try {
    const keyId = opts.keyId ?? ctx.random.uuid()
    const at = now.toISOString()
    guarded(() => {
      ctx.db
        .transaction(() => {
          let version = 1
          if (opts.keyId === undefined) {
            ctx.db
              .prepare(
                'INSERT INTO byok_keys (key_id, label, type, current_version, created_at) VALUES (?, ?, ?, 1, ?)',
              )
              .run(keyId, parsedLabel.data, parsed.type, at)
          } else {
            const { type, versions } = readKeyInfo(ctx, keyId)
            if (type !== parsed.type) {
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
          const sealed = sealPrivateKey(ctx, { keyId, version }, parsed.type, parsed.privateKeyDer)
          ctx.db
            .prepare(
              `INSERT INTO byok_versions (key_id, version, status, material, certificate, not_after, created_at)
               VALUES (?, ?, 'enabled', ?, ?, ?, ?)`,
            )
            .run(keyId, version, sealed, parsed.certificateDer, parsed.notAfter.toISOString(), at)
        })
        .immediate()
    })
    return guarded(() => readKeyInfo(ctx, keyId))
  } finally {
    parsed.privateKeyDer.fill(0)
  }
}
