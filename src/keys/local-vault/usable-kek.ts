import { AppError } from '../../shared/errors.ts'
import type { KeyRef } from '../key-provider.ts'
import type { Kek } from './kek-material.ts'
import { openKekMaterial } from './kek-material.ts'
import { cacheKey, evictKek } from './vault-context.ts'
import type { VaultContext } from './vault-context.ts'
import { vaultCorrupt } from './vault-errors.ts'
import { readVersion } from './vault-rows.ts'

/**
 * The KEK of an enabled version, from the cache or unsealed from the vault. The status is read
 * from the database on every call, never cached, so a version disabled by another process (the
 * CLI while a server runs) stops working at once (DESIGN invariant 4: fail closed).
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE, VAULT_CORRUPT
 */
export function usableKek(ctx: VaultContext, ref: KeyRef): Kek {
  const row = readVersion(ctx, ref)
  if (row.status !== 'enabled') {
    evictKek(ctx, ref)
    throw new AppError('KEY_UNAVAILABLE', `The key version is ${row.status}.`)
  }
  const cached = ctx.cache.get(cacheKey(ref))
  if (cached !== undefined && cached.type === row.type) return cached
  if (row.material === null) throw vaultCorrupt()
  const kek = openKekMaterial(ctx.materialKey, ref, row.type, row.material)
  ctx.cache.set(cacheKey(ref), kek)
  return kek
}
