/**
 * Key management: the KeyProvider port, the key-version state machine, the master key and the
 * data directory's keyring, envelope-encryption helpers and the adapters: the built-in local
 * vault, PKCS#11 HSMs and uploaded (BYOK) keys.
 */
export type {
  KeyHealth,
  KeyProvider,
  KeyRef,
  KeyType,
  KeyVersionInfo,
  KeyVersionStatus,
  ProviderKeyInfo,
} from './key-provider.ts'
export { KEY_TYPES, KEY_VERSION_STATUSES } from './key-provider.ts'
export type { KeyVersionEvent } from './key-version-state.ts'
export {
  eventForStatus,
  KEY_VERSION_EVENTS,
  KEY_VERSION_TRANSITIONS,
  transitionKeyVersion,
} from './key-version-state.ts'
export {
  createMasterKeyFile,
  MASTER_KEY_LENGTH,
  parseMasterKey,
  readMasterKeyFile,
} from './master-key.ts'
export type { Keyring } from './keyring.ts'
export { createKeyring, openKeyring, rewrapKeyring } from './keyring.ts'
export type { DekPurpose } from './envelope.ts'
export { DATA_KEY_LENGTH, dekContext, generateDataKey } from './envelope.ts'
export type { LocalVaultOptions } from './local-vault/index.ts'
export { openLocalVault } from './local-vault/index.ts'
export { checkKeyHealth } from './check-key-health.ts'
export type { Pkcs11ProviderOptions } from './pkcs11/index.ts'
export { openPkcs11Provider } from './pkcs11/index.ts'
export type {
  ByokProvider,
  ByokProviderOptions,
  ImportPfxOptions,
  ImportWrappedKeyOptions,
  ExchangeKeyInfo,
  KeyTransfer,
  OaepHash,
} from './byok/index.ts'
export {
  EXCHANGE_KEY_DAYS,
  MAX_PFX_BYTES,
  MAX_TRANSFER_FILE_BYTES,
  openByokProvider,
  parseKeyTransferFile,
} from './byok/index.ts'
