import type Database from 'better-sqlite3-multiple-ciphers'
import type { Clock } from '../../shared/clock.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'
import type { KeyRef } from '../key-provider.ts'
import type { Kek } from './kek-material.ts'
import { disposeKek } from './kek-material.ts'

/** What every local-vault operation works on; owned by one provider instance. */
export interface VaultContext {
  readonly db: Database.Database
  readonly random: Random
  readonly clock: Clock
  /** HKDF(vault key, info 'strongroom/vault/kek-material/v1'): seals KEK material at rest. */
  readonly materialKey: Secret
  /** Unsealed KEKs by {@link cacheKey}; cleared on close, evicted on disable/destroy. */
  readonly cache: Map<string, Kek>
}

/** The cache key of one key version. Key ids never contain NUL. */
export const cacheKey = (ref: KeyRef): string => `${ref.keyId}\u0000${String(ref.version)}`

/** Drops one cached KEK, wiping it. */
export function evictKek(ctx: VaultContext, ref: KeyRef): void {
  const kek = ctx.cache.get(cacheKey(ref))
  if (kek === undefined) return
  ctx.cache.delete(cacheKey(ref))
  disposeKek(kek)
}
