import { dekContext, generateDataKey } from '../../keys/envelope.ts'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type ControlContext } from '../context.ts'
import { assertUsable, findEnvironmentById, type Environment } from './environment.ts'
import { unwrapDataKey } from './unwrap-data-key.ts'

/** Concurrent creators or re-wraps that may win the conditional insert before we give up. */
const CREATE_ATTEMPTS = 3

/**
 * Unwraps an environment's field-encryption key (cell-level encryption) for the storage layer,
 * which holds it only while the environment's handle is open. Only active environments get
 * it. An environment created before the control schema had field keys gets one now: a fresh
 * random key wrapped by the DEK's key version (purpose 'field'), stored only if the row still
 * has no field key and the same key, version and wrapped DEK, so a re-wrap that commits
 * meanwhile can't leave it under a superseded version.
 * @throws ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED, ENVIRONMENT_UNAVAILABLE, KEY_UNAVAILABLE,
 *   KEY_UNWRAP_FAILED, INVALID_STATE (the row kept changing)
 */
export async function resolveFieldKey(ctx: ControlContext, id: EnvironmentId): Promise<Secret> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const env = await findEnvironmentById(ctx, id)
    if (env === undefined) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
    assertUsable(env)
    const key = await unwrapDataKey(ctx, env, 'field')
    if (key !== undefined) return key
    const created = await createFieldKey(ctx, env)
    if (created !== undefined) return created
  }
  throw new AppError('INVALID_STATE', 'The environment keys changed meanwhile; retry.')
}

/** @returns the new key, or undefined when the row changed before it could be stored */
async function createFieldKey(ctx: ControlContext, env: Environment): Promise<Secret | undefined> {
  const row = await ctx.db
    .selectFrom('environments as e')
    .innerJoin('tenant_keys as k', 'k.id', 'e.key_id')
    .select(['e.key_id', 'e.key_version', 'e.wrapped_dek', 'k.provider', 'k.provider_key_id'])
    .where('e.id', '=', env.id)
    .where('e.wrapped_field_key', 'is', null)
    // In layout 'together' the field key is inside wrapped_dek: it exists already.
    .where('e.key_layout', '=', 'separate')
    .executeTakeFirst()
  if (row === undefined) return undefined
  if (row.wrapped_dek === null) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  const key = generateDataKey(ctx.random)
  try {
    const wrapped = await providerOf(ctx, row.provider).wrap(
      { keyId: row.provider_key_id, version: row.key_version },
      key,
      dekContext({ purpose: 'field', tenantId: env.tenantId, environmentId: env.id }),
    )
    const result = await ctx.db
      .updateTable('environments')
      .set({ wrapped_field_key: wrapped })
      .where('id', '=', env.id)
      .where('wrapped_field_key', 'is', null)
      .where('key_layout', '=', 'separate')
      // A lock (or any other change of state) meanwhile: no new key for it.
      .where('state', '=', 'active')
      .where('key_id', '=', row.key_id)
      .where('key_version', '=', row.key_version)
      .where('wrapped_dek', '=', row.wrapped_dek)
      .executeTakeFirst()
    if (result.numUpdatedRows !== 1n) {
      key.dispose()
      return undefined
    }
  } catch (e) {
    key.dispose()
    throw e
  }
  ctx.logger.log('info', 'environment.field-key-created', {
    tenantId: env.tenantId,
    environmentId: env.id,
  })
  return key
}
