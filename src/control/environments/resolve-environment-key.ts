import { checkKeyHealth } from '../../keys/check-key-health.ts'
import { AppError, isAppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type ControlContext } from '../context.ts'
import { changeEnvironmentState } from './change-environment-state.ts'
import { unwrapDataKey } from './unwrap-data-key.ts'
import {
  assertUsable,
  findEnvironment,
  findEnvironmentById,
  type Environment,
} from './environment.ts'

/**
 * Unwraps an environment's DEK for the storage layer's cold open. Only active and
 * provisioning environments get a key. If the provider confirms that the key version is
 * disabled or gone, the environment locks: fail closed (DESIGN invariant 4). A key that is
 * only unreachable (provider busy or down) refuses this request with KEY_UNAVAILABLE and
 * changes no state, so a passing outage doesn't need an administrator to unlock.
 * @throws ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED, ENVIRONMENT_UNAVAILABLE, KEY_UNAVAILABLE
 */
export async function resolveEnvironmentKey(
  ctx: ControlContext,
  id: EnvironmentId,
): Promise<Secret> {
  const env = await findEnvironmentById(ctx, id)
  if (env === undefined) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  if (env.state !== 'provisioning') assertUsable(env)
  return unwrapDek(ctx, env)
}

async function unwrapDek(ctx: ControlContext, env: Environment): Promise<Secret> {
  const dek = await unwrapDataKey(ctx, env, 'environment-db')
  if (dek === undefined) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  return dek
}

/**
 * Re-enables a locked environment once its key is reachable again (dataverse-spec §2 "Unlock":
 * restore key access, then re-enable each environment). The DEK must unwrap first.
 * @throws INVALID_STATE when not locked, KEY_UNAVAILABLE when the key is still unavailable
 */
export async function unlockEnvironment(
  ctx: ControlContext,
  input: { tenant: string; name: string; actor: string },
): Promise<Environment> {
  const env = await findEnvironment(ctx, input.tenant, input.name)
  if (env.state !== 'locked') {
    throw new AppError('INVALID_STATE', `Environment '${env.name}' is ${env.state}, not locked.`)
  }
  let dek: Secret
  try {
    dek = await unwrapDek(ctx, env)
  } catch (e) {
    if (!isAppError(e) || (e.code !== 'KEY_UNAVAILABLE' && e.code !== 'KEY_NOT_FOUND')) throw e
    const ref = { keyId: env.key.keyId, version: env.key.version }
    const health = await checkKeyHealth(providerOf(ctx, env.key.provider), ref)
    const why: Record<typeof health, string> = {
      available: 'the key refused the unwrap',
      disabled: 'is disabled (run `strongroom key restore` first)',
      missing: 'is destroyed or deleted in its provider; restore the key object from a backup',
      unreachable: 'is unreachable (provider down or credentials refused)',
    }
    throw new AppError(
      'KEY_UNAVAILABLE',
      `Environment '${env.name}' stays locked: key '${env.key.name}' version ${env.key.version} ${why[health]}.`,
      { cause: e },
    )
  }
  dek.dispose()
  // The field key is wrapped by the same key version; check it too, so an environment whose
  // encrypted cells could not be read doesn't come back as active.
  const fieldKey = await unwrapDataKey(ctx, env, 'field')
  fieldKey?.dispose()
  return changeEnvironmentState(ctx, env, 'unlock', input.actor)
}
