import { dekContext } from '../../keys/envelope.ts'
import { AppError, isAppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type ControlContext } from '../context.ts'
import { changeEnvironmentState } from './change-environment-state.ts'
import {
  assertUsable,
  findEnvironment,
  findEnvironmentById,
  type Environment,
} from './environment.ts'

/**
 * Unwraps an environment's DEK for the storage layer's cold open. Only active and
 * provisioning environments get a key. If the provider says the key is unavailable (disabled,
 * destroyed, unreachable), the environment locks: fail closed (DESIGN invariant 4).
 * @throws ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED, ENVIRONMENT_UNAVAILABLE
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
  const row = await ctx.db
    .selectFrom('environments')
    .select('wrapped_dek')
    .where('id', '=', env.id)
    .executeTakeFirstOrThrow()
  if (row.wrapped_dek === null) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  try {
    return await providerOf(ctx, env.key.provider).unwrap(
      { keyId: env.key.keyId, version: env.key.version },
      row.wrapped_dek,
      dekContext({ purpose: 'environment-db', tenantId: env.tenantId, environmentId: env.id }),
    )
  } catch (e) {
    if (isAppError(e) && e.code === 'KEY_UNAVAILABLE' && env.state !== 'locked') {
      await changeEnvironmentState(ctx, env, 'lock', 'system:key-check', {
        keyName: env.key.name,
        keyVersion: env.key.version,
      }).catch(() => undefined)
      throw new AppError(
        'ENVIRONMENT_LOCKED',
        `Environment '${env.name}' is locked: its key is unavailable.`,
        {
          cause: e,
        },
      )
    }
    throw e
  }
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
  const dek = await unwrapDek(ctx, env)
  dek.dispose()
  return changeEnvironmentState(ctx, env, 'unlock', input.actor)
}
