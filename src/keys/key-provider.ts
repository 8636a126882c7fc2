import type { Secret } from '../shared/secret.ts'

/** Every key type a provider may hold. RSA sizes follow DESIGN "Key hierarchy" (PFX uploads). */
export const KEY_TYPES = ['aes-256', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const
/** The algorithm and size of a key encryption key. */
export type KeyType = (typeof KEY_TYPES)[number]

/** Every status a key version may be in; transitions are in key-version-state.ts. */
export const KEY_VERSION_STATUSES = ['enabled', 'disabled', 'destroyed'] as const
/** The status of one key version. Only `enabled` versions wrap or unwrap. */
export type KeyVersionStatus = (typeof KEY_VERSION_STATUSES)[number]

/** One version of a key encryption key. */
export interface KeyVersionInfo {
  readonly version: number
  readonly status: KeyVersionStatus
  readonly createdAt: Date
  /**
   * When the version stops being valid, where the provider knows: an uploaded key's certificate
   * `notAfter`, an HSM key object's CKA_END_DATE. Absent when there is none.
   */
  readonly expiresAt?: Date
}

/** What a provider reports about a key; never its material. */
export interface ProviderKeyInfo {
  readonly keyId: string
  readonly label: string
  readonly type: KeyType
  /** The version new wraps use. */
  readonly currentVersion: number
  /** Every version, oldest first. */
  readonly versions: readonly KeyVersionInfo[]
}

/** Names one version of one key. Stored beside every wrapped data key (DESIGN invariant 3). */
export interface KeyRef {
  readonly keyId: string
  readonly version: number
}

/**
 * What a key-health check reports about one key version: `available` (enabled and usable),
 * `disabled`, `missing` (destroyed, or deleted in its provider), `unreachable` (the provider
 * can't be reached or refused the credentials). The control plane locks environments on anything
 * but `available` (DESIGN invariant 4).
 */
export type KeyHealth = 'available' | 'missing' | 'disabled' | 'unreachable'

/**
 * The port through which every key encryption key (KEK) is used. KEKs never leave their provider:
 * callers hand in a data key and get back a wrapped blob, and the reverse. Adapters: the local
 * vault (kind `'local'`), PKCS#11 HSMs, uploaded PFX keys and cloud KMS. The port is async
 * because most adapters are remote.
 *
 * Errors every adapter uses: `KEY_NOT_FOUND` (no such key or version), `KEY_UNAVAILABLE`
 * (version disabled or destroyed, or provider unreachable or closed), `KEY_UNWRAP_FAILED`
 * (wrapped blob does not authenticate under this key and context), `INVALID_STATE` (illegal
 * status change).
 */
export interface KeyProvider {
  /** Adapter name, `'local'` for the built-in vault. */
  readonly kind: string
  /** Creates a key whose version 1 is enabled and current. */
  createKey(opts: { label: string; type: KeyType }): Promise<ProviderKeyInfo>
  /** @throws AppError KEY_NOT_FOUND */
  describeKey(keyId: string): Promise<ProviderKeyInfo>
  /** Adds a new enabled version and makes it current. Older versions keep their status. */
  rotateKey(keyId: string): Promise<ProviderKeyInfo>
  /**
   * Moves a version to `status` through the key-version state machine. `destroyed` is final and
   * erases the material (crypto-shred).
   *
   * @throws AppError KEY_NOT_FOUND, INVALID_STATE
   */
  setVersionStatus(ref: KeyRef, status: KeyVersionStatus): Promise<void>
  /**
   * Wraps a data key under an enabled key version, binding `context` (for example
   * `dekContext(...)`) so the blob only unwraps with the same context.
   *
   * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE
   */
  wrap(ref: KeyRef, plaintext: Secret, context: Uint8Array): Promise<Uint8Array>
  /**
   * Unwraps a blob made by {@link KeyProvider.wrap} with the same `ref` and `context`.
   *
   * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE, KEY_UNWRAP_FAILED
   */
  unwrap(ref: KeyRef, wrapped: Uint8Array, context: Uint8Array): Promise<Secret>
  /**
   * Checks one key version against its provider without using it. Never throws for an
   * unhealthy key: the answer is the {@link KeyHealth}. Optional: callers fall back to
   * `checkKeyHealth`, which asks {@link KeyProvider.describeKey}.
   */
  health?(ref: KeyRef): Promise<KeyHealth>
  /** Releases the provider and forgets every cached key. Idempotent. */
  close(): void
}
