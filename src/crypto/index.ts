/**
 * Cryptographic primitives. This layer knows nothing about keys, tenants or storage above it.
 */
export {
  AEAD_FORMAT_V1,
  AEAD_IV_LENGTH,
  AEAD_KEY_LENGTH,
  AEAD_OVERHEAD,
  AEAD_TAG_LENGTH,
  open,
  seal,
} from './aead.ts'
export { encodeContext } from './encode-context.ts'
export { deriveKey } from './hkdf.ts'
export {
  defaultTextOpener,
  nativeTextOpener,
  nodeTextOpener,
  type TextOpener,
} from './text-opener.ts'
