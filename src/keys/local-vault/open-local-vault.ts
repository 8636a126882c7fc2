import { deriveKey } from '../../crypto/hkdf.ts'
import type { Clock } from '../../shared/clock.ts'
import { AppError } from '../../shared/errors.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'
import type { KeyProvider } from '../key-provider.ts'
import { createKey } from './create-key.ts'
import { disposeKek } from './kek-material.ts'
import { keyHealth } from './key-health.ts'
import { rotateKey } from './rotate-key.ts'
import { setVersionStatus } from './set-version-status.ts'
import { unwrapKey } from './unwrap-key.ts'
import type { VaultContext } from './vault-context.ts'
import { openVaultDatabase } from './vault-database.ts'
import { guarded } from './vault-errors.ts'
import { readKeyInfo } from './vault-rows.ts'
import { wrapKey } from './wrap-key.ts'

/** Options of {@link openLocalVault}. */
export interface LocalVaultOptions {
  /** The vault database file; created with mode 0600 if missing. */
  readonly path: string
  /** The raw 32-byte vault key (the keyring's `vault` key). The caller keeps ownership. */
  readonly key: Secret
  readonly random: Random
  readonly clock: Clock
}

// RFC 5869 §3.2: a distinct info string gives a key independent of the SQLite page key, which
// is the vault key itself.
const MATERIAL_INFO = 'strongroom/vault/kek-material/v1'

/** Runs a synchronous operation as a promise, turning a throw into a rejection. */
const later = <T>(fn: () => T): Promise<T> =>
  new Promise((resolve) => {
    resolve(fn())
  })

/**
 * Opens the built-in key vault: an AEGIS-encrypted SQLite file whose KEK material is sealed
 * again, row by row, under a key derived from the vault key. It is a {@link KeyProvider} of kind
 * `'local'`. Several instances (a CLI and a server) may use the same file at once; every write
 * runs under BEGIN IMMEDIATE and every use re-reads the version status.
 *
 * @throws AppError VAULT_CORRUPT when the file isn't a vault or the key doesn't open it;
 * DATA_DIR_INVALID when the file can't be created or opened.
 * @example
 * const vault = openLocalVault({ path: join(dataDir, 'vault.db'), key: keyring.vault,
 *   random: cryptoRandom, clock: systemClock })
 */
export function openLocalVault(opts: LocalVaultOptions): KeyProvider {
  const db = openVaultDatabase(opts.path, opts.key)
  let ctx: VaultContext | undefined = {
    db,
    random: opts.random,
    clock: opts.clock,
    materialKey: deriveKey(opts.key, new Uint8Array(0), MATERIAL_INFO),
    cache: new Map(),
  }
  const live = (): VaultContext => {
    if (ctx === undefined) throw new AppError('KEY_UNAVAILABLE', 'The key vault is closed.')
    return ctx
  }
  return {
    kind: 'local',
    createKey: async (o) => createKey(live(), o),
    describeKey: (keyId) => later(() => guarded(() => readKeyInfo(live(), keyId))),
    rotateKey: async (keyId) => rotateKey(live(), keyId),
    setVersionStatus: (ref, status) =>
      later(() => {
        setVersionStatus(live(), ref, status)
      }),
    wrap: (ref, plaintext, context) => later(() => wrapKey(live(), ref, plaintext, context)),
    unwrap: (ref, wrapped, context) => later(() => unwrapKey(live(), ref, wrapped, context)),
    health: (ref) => later(() => keyHealth(ctx, ref)),
    close: () => {
      if (ctx === undefined) return
      const c = ctx
      ctx = undefined
      for (const kek of c.cache.values()) disposeKek(kek)
      c.cache.clear()
      c.materialKey.dispose()
      c.db.close()
    },
  }
}
