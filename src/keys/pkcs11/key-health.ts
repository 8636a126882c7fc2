import { isAppError } from '../../shared/errors.ts'
import type { KeyHealth, KeyRef } from '../key-provider.ts'
import { findVersion, isValidRef } from './key-objects.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'

/**
 * A key version's health as the token reports it now: `missing` when its key object is gone
 * (destroyed, or deleted by an HSM administrator), `disabled` when CKA_DECRYPT is false,
 * `unreachable` when the token can't be reached or the login fails. Never throws.
 */
export async function keyHealth(ctx: Pkcs11Context, ref: KeyRef): Promise<KeyHealth> {
  if (!isValidRef(ref)) return 'missing'
  try {
    return await ctx.session.run(
      (h): KeyHealth => {
        const found = findVersion(h, ref)
        if (found === undefined) return 'missing'
        return found.isEnabled ? 'available' : 'disabled'
      },
      { retry: true },
    )
  } catch (e) {
    // Fail closed: whatever stopped the check, the key can't be relied on now.
    if (!isAppError(e) || e.code !== 'KEY_UNAVAILABLE') {
      ctx.logger.log('error', 'key_health.failed', {
        keyId: ref.keyId,
        version: ref.version,
        error: e,
      })
    }
    return 'unreachable'
  }
}
