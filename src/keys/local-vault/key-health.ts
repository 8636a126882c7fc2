import { isAppError } from '../../shared/errors.ts'
import type { KeyHealth, KeyRef } from '../key-provider.ts'
import type { VaultContext } from './vault-context.ts'
import { guarded } from './vault-errors.ts'
import { readVersion } from './vault-rows.ts'

/**
 * A key version's health read from the vault now: `missing` when unknown or destroyed,
 * `disabled`, `available`, or `unreachable` when the vault is closed or can't be read. Never
 * throws.
 */
export function keyHealth(ctx: VaultContext | undefined, ref: KeyRef): KeyHealth {
  if (ctx === undefined) return 'unreachable'
  try {
    const row = guarded(() => readVersion(ctx, ref))
    if (row.status === 'destroyed') return 'missing'
    return row.status === 'disabled' ? 'disabled' : 'available'
  } catch (e) {
    if (isAppError(e) && e.code === 'KEY_NOT_FOUND') return 'missing'
    return 'unreachable'
  }
}
