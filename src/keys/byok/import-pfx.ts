import type { Secret } from '../../shared/secret.ts'
import type { ProviderKeyInfo } from '../key-provider.ts'
import type { ByokContext } from './byok-context.ts'
import { parsePfx } from './parse-pfx.ts'
import { parseLabel, storeImportedKey } from './store-imported-key.ts'

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

/**
 * Validates a PFX (parse-pfx.ts) and stores its private key sealed, as version 1 of a new key
 * with a GUID key id, or as version n+1 (now current) of `keyId`. Earlier versions keep their
 * status. The certificate is kept beside it (public); its expiry was checked at import.
 *
 * @throws AppError KEY_IMPORT_INVALID, VALIDATION, KEY_NOT_FOUND
 */
export function importPfx(ctx: ByokContext, opts: ImportPfxOptions): ProviderKeyInfo {
  const label = parseLabel(opts.label)
  const parsed = parsePfx(opts.pfx, opts.password, ctx.clock.now())
  try {
    return storeImportedKey(
      ctx,
      {
        type: parsed.type,
        privateKeyDer: parsed.privateKeyDer,
        certificate: { der: parsed.certificateDer, notAfter: parsed.notAfter },
      },
      { label, keyId: opts.keyId },
    )
  } finally {
    parsed.privateKeyDer.fill(0)
  }
}
