import { AppError } from '../../shared/errors.ts'

/** Options of {@link importWrappedKey}: a key blob wrapped by the customer's HSM. */
export interface ImportWrappedKeyOptions {
  /** The vendor's key-transfer blob (for example nCipher .byok, or RSA-AES key wrap). */
  readonly blob: Uint8Array
  readonly keyId?: string
}

/**
 * Import of an HSM-wrapped key blob ({@link ImportWrappedKeyOptions}; issue #6: "import of an
 * HSM-wrapped key blob as well"; dataverse-spec §2 legacy BYOK accepted nCipher .byok files).
 *
 * TODO(#6): not implemented. The likely shape is Azure Key Vault's and AWS KMS's: Strongroom
 * publishes an RSA-4096 key-exchange public key, the customer's HSM wraps the RSA private key
 * with CKM_RSA_AES_KEY_WRAP (RSA-OAEP-SHA-256 + RFC 5649), and this unwraps it into the store.
 *
 * @throws AppError KEY_OPERATION_UNSUPPORTED, always.
 */
export function importWrappedKey(): never {
  throw new AppError(
    'KEY_OPERATION_UNSUPPORTED',
    'Importing an HSM-wrapped key blob is not supported yet; upload a PFX file instead.',
  )
}
