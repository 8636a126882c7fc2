import { AppError } from '../../shared/errors.ts'
import type { KeyRef } from '../key-provider.ts'
import type { Kek } from '../local-vault/kek-material.ts'
import { guarded, vaultCorrupt } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'
import { openPrivateKey, readVersion } from './byok-rows.ts'

/**
 * The private key of an enabled uploaded-key version, unsealed for this one call (nothing is
 * cached, so a disabled version stops working at once, DESIGN invariant 4).
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE, VAULT_CORRUPT
 */
export function usableKey(ctx: ByokContext, ref: KeyRef): Kek {
  const row = guarded(() => readVersion(ctx, ref))
  if (row.status !== 'enabled') {
    throw new AppError('KEY_UNAVAILABLE', `The key version is ${row.status}.`)
  }
  if (row.material === null) throw vaultCorrupt()
  return openPrivateKey(ctx, ref, row.type, row.material)
}
