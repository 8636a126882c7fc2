import { isAppError } from '../../shared/errors.ts'
import type { KeyHealth, KeyRef } from '../key-provider.ts'
import { guarded } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'
import { readVersion } from './byok-rows.ts'

/**
 * An uploaded key version's health: `missing` when unknown or destroyed, `disabled`,
 * `available`, or `unreachable` when the store is closed or unreadable. Never throws.
 */
export function keyHealth(ctx: ByokContext | undefined, ref: KeyRef): KeyHealth {
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
