import { isAppError } from '../shared/errors.ts'
import type { KeyHealth, KeyProvider, KeyRef } from './key-provider.ts'

/**
 * The health of one key version, for the control plane's periodic key-health check: the
 * provider's own `health` when it has one, otherwise read from `describeKey`. Never throws for
 * an unhealthy or unknown key; an unexpected error is `unreachable` (fail closed, DESIGN
 * invariant 4).
 *
 * @example
 * if ((await checkKeyHealth(provider, env.keyRef)) !== 'available') lockEnvironment(env)
 */
export async function checkKeyHealth(provider: KeyProvider, ref: KeyRef): Promise<KeyHealth> {
  try {
    if (provider.health !== undefined) return await provider.health(ref)
    const info = await provider.describeKey(ref.keyId)
    const version = info.versions.find((v) => v.version === ref.version)
    if (version === undefined || version.status === 'destroyed') return 'missing'
    return version.status === 'disabled' ? 'disabled' : 'available'
  } catch (e) {
    if (isAppError(e) && e.code === 'KEY_NOT_FOUND') return 'missing'
    return 'unreachable'
  }
}
