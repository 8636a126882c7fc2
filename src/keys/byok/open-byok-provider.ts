import { deriveKey } from '../../crypto/hkdf.ts'
import type { Clock } from '../../shared/clock.ts'
import { AppError } from '../../shared/errors.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'
import { openEncryptedKeyStore } from '../encrypted-key-store.ts'
import type { KeyProvider, ProviderKeyInfo } from '../key-provider.ts'
import { unwrapWithKek, wrapWithKek } from '../local-vault/kek-wrap.ts'
import { guarded } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'
import { migrateByok } from './byok-schema.ts'
import { readKeyInfo } from './byok-rows.ts'
import { importPfx } from './import-pfx.ts'
import type { ImportPfxOptions } from './import-pfx.ts'
import { exchangeKey, type ExchangeKeyInfo } from './exchange-key.ts'
import { importWrappedKey } from './import-wrapped-key.ts'
import type { ImportWrappedKeyOptions } from './import-wrapped-key.ts'
import { keyHealth } from './key-health.ts'
import { setVersionStatus } from './set-version-status.ts'
import { usableKey } from './usable-key.ts'

/** Options of {@link openByokProvider}. */
export interface ByokProviderOptions {
  /** The uploaded-key store file; created with mode 0600 if missing. */
  readonly path: string
  /**
   * 32 bytes that open the store (SQLite page key) and, through HKDF, seal each private key.
   * The composition root derives it from the vault key; the caller keeps ownership.
   */
  readonly sealingKey: Secret
  readonly random: Random
  readonly clock: Clock
}

/** A {@link KeyProvider} of kind `'byok'`: keys arrive by import, not creation. */
export interface ByokProvider extends KeyProvider {
  /**
   * Validates a PKCS#12/PFX and stores its RSA key sealed: a new key (version 1), or the next
   * version of `keyId`.
   *
   * @throws AppError KEY_IMPORT_INVALID (the message names the rule), VALIDATION, KEY_NOT_FOUND
   */
  importPfx(opts: ImportPfxOptions): Promise<ProviderKeyInfo>
  /**
   * The key-exchange key of `scope` (one per tenant), created on first use and renewed before it
   * expires: the public key a customer's HSM wraps a key for (importWrappedKey).
   */
  exchangeKey(scope: string): Promise<ExchangeKeyInfo>
  /**
   * Unwraps an HSM-wrapped key blob (CKM_RSA_AES_KEY_WRAP) with `scope`'s key-exchange key,
   * validates it and stores it sealed like a PFX-imported key: a new key, or the next version
   * of `keyId`.
   *
   * @throws AppError KEY_IMPORT_INVALID (the message names the rule), VALIDATION, KEY_NOT_FOUND
   */
  importWrappedKey(opts: ImportWrappedKeyOptions): Promise<ProviderKeyInfo>
}

// RFC 5869 §3.2: a distinct info string gives a key independent of the SQLite page key.
const MATERIAL_INFO = 'strongroom/byok/key-material/v1'

const later = <T>(fn: () => T): Promise<T> =>
  new Promise((resolve) => {
    resolve(fn())
  })

const unsupported = (what: string): Promise<never> =>
  Promise.reject(
    new AppError(
      'KEY_OPERATION_UNSUPPORTED',
      `Uploaded keys can't be ${what}; import a PFX file or an HSM-wrapped key (again, for a new version).`,
    ),
  )

/**
 * Opens the uploaded-key (BYOK) store: customer RSA keys imported from PFX files, sealed
 * (AES-256-GCM under a key derived from `sealingKey`) inside an AEGIS-encrypted SQLite file, the
 * same kind of store as the local vault. Wrap/unwrap use RSA-OAEP with SHA-256 and the context
 * as the OAEP label (RFC 8017 §7.1), in process; the private key is unsealed per call and not
 * cached.
 *
 * @throws AppError VAULT_CORRUPT, DATA_DIR_INVALID
 * @example
 * const byok = openByokProvider({ path: join(dataDir, 'byok.db'), sealingKey, random, clock })
 * const key = await byok.importPfx({ pfx, password })
 */
export function openByokProvider(opts: ByokProviderOptions): ByokProvider {
  const db = openEncryptedKeyStore(opts.path, opts.sealingKey, {
    migrate: migrateByok,
    name: 'uploaded-key store',
  })
  let ctx: ByokContext | undefined = {
    db,
    random: opts.random,
    clock: opts.clock,
    materialKey: deriveKey(opts.sealingKey, new Uint8Array(0), MATERIAL_INFO),
  }
  const live = (): ByokContext => {
    if (ctx === undefined) throw new AppError('KEY_UNAVAILABLE', 'The key store is closed.')
    return ctx
  }
  return {
    kind: 'byok',
    createKey: () => unsupported('created'),
    rotateKey: () => unsupported('rotated by generation'),
    importPfx: (o) => later(() => importPfx(live(), o)),
    exchangeKey: (scope) => exchangeKey(live, scope),
    importWrappedKey: (o) => later(() => importWrappedKey(live(), o)),
    describeKey: (keyId) => later(() => guarded(() => readKeyInfo(live(), keyId))),
    setVersionStatus: (ref, status) =>
      later(() => {
        setVersionStatus(live(), ref, status)
      }),
    wrap: (ref, plaintext, context) =>
      later(() => wrapWithKek(usableKey(live(), ref), plaintext, context, live().random)),
    unwrap: (ref, wrapped, context) =>
      later(() => unwrapWithKek(usableKey(live(), ref), wrapped, context)),
    health: (ref) => later(() => keyHealth(ctx, ref)),
    close: () => {
      if (ctx === undefined) return
      const c = ctx
      ctx = undefined
      c.materialKey.dispose()
      c.db.close()
    },
  }
}
