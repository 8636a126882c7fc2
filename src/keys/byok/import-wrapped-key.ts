import type { ProviderKeyInfo } from '../key-provider.ts'
import type { ByokContext } from './byok-context.ts'
import { openExchangeKey } from './exchange-key.ts'
import { parseLabel, storeImportedKey } from './store-imported-key.ts'
import { unwrapKeyTransfer, type OaepHash } from './unwrap-key-transfer.ts'

/** Options of {@link importWrappedKey}: a key blob wrapped by the customer's HSM. */
export interface ImportWrappedKeyOptions {
  /**
   * The CKM_RSA_AES_KEY_WRAP blob: RSA-OAEP(KEK, AES-256 key) ‖ RFC 5649 KWP(AES key, PKCS#8).
   * At most 16 KiB.
   */
  readonly wrapped: Uint8Array
  /** The key-exchange key it was wrapped for (exchangeKey's kekId). */
  readonly kekId: string
  /** Whose key-exchange key it must be (the control plane passes `tenant:<id>`). */
  readonly scope: string
  /** The OAEP hash of the AES key's wrap. Default 'sha-256'. */
  readonly oaepHash?: OaepHash
  /** A new key's label; ignored when `keyId` is given. Default 'Uploaded key'. */
  readonly label?: string
  /** Import as the next version of this key instead of creating a new key. */
  readonly keyId?: string
}

/**
 * Imports an RSA private key wrapped by the customer's HSM for this store's key-exchange key
 * (issue #6: "import of an HSM-wrapped key blob as well"; the Azure Key Vault BYOK / AWS KMS
 * import model): the KEK named by `kekId` must be `scope`'s and unexpired; the blob is
 * unwrapped here, inside the key store's process boundary, validated (unwrapKeyTransfer), and
 * stored sealed exactly like a PFX-imported key (version 1 of a new key, or the next version of
 * `keyId`), without a certificate.
 *
 * @throws AppError KEY_IMPORT_INVALID (the message names the rule), VALIDATION, KEY_NOT_FOUND
 */
export function importWrappedKey(ctx: ByokContext, opts: ImportWrappedKeyOptions): ProviderKeyInfo {
  const label = parseLabel(opts.label)
  const kek = openExchangeKey(ctx, opts.scope, opts.kekId)
  const key = unwrapKeyTransfer(kek.privateKey, opts.wrapped, opts.oaepHash ?? 'sha-256')
  try {
    return storeImportedKey(
      ctx,
      { type: key.type, privateKeyDer: key.privateKeyDer, certificate: null },
      { label, keyId: opts.keyId },
    )
  } finally {
    key.privateKeyDer.fill(0)
  }
}
