import { checkKeyHealth } from '../../keys/check-key-health.ts'
import { dekContext } from '../../keys/envelope.ts'
import { AppError, isAppError } from '../../shared/errors.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type ControlContext } from '../context.ts'
import { changeEnvironmentState } from './change-environment-state.ts'
import { dataKeyOf } from '../keys/data-key-bundle.ts'
import type { Environment } from './environment.ts'

/** Which of an environment's wrapped data keys: its DEK, or its field-encryption key. */
export type DataKeyKind = 'environment-db' | 'field'

/**
 * Unwraps one of an environment's data keys with the key version that wraps it: its own blob
 * (key layout 'separate'), or the one blob of DEK ‖ field key ('together'), of which it keeps
 * the half asked for. Key, version, layout and blob are read in one select, so a re-wrap that
 * commits meanwhile can't pair a blob with the wrong version. If the provider confirms that
 * the version is disabled or gone, an active environment locks: fail closed (DESIGN invariant
 * 4). A key that is only unreachable refuses this call with KEY_UNAVAILABLE and changes no
 * state.
 * @returns the key, or undefined for a field key that has not been created yet
 * @throws ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED, KEY_UNAVAILABLE, KEY_UNWRAP_FAILED
 */
export async function unwrapDataKey(
  ctx: ControlContext,
  env: Environment,
  kind: DataKeyKind,
): Promise<Secret | undefined> {
  const row = await ctx.db
    .selectFrom('environments as e')
    .innerJoin('tenant_keys as k', 'k.id', 'e.key_id')
    .select([
      'e.key_version',
      'e.wrapped_dek',
      'e.wrapped_field_key',
      'e.key_layout',
      'k.provider_key_id',
    ])
    .select('k.provider')
    .where('e.id', '=', env.id)
    .executeTakeFirst()
  if (row === undefined || row.wrapped_dek === null) {
    throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  }
  // Layout 'together': one blob holds DEK ‖ field key; 'separate': one blob per key.
  const together = row.key_layout === 'together'
  const blob = together || kind === 'environment-db' ? row.wrapped_dek : row.wrapped_field_key
  if (blob === null) return undefined
  const provider = providerOf(ctx, row.provider)
  const ref = { keyId: row.provider_key_id, version: row.key_version }
  const ids = { tenantId: env.tenantId, environmentId: env.id }
  try {
    if (together) {
      const both = await provider.unwrap(
        ref,
        blob,
        dekContext({ purpose: 'environment-keys', ...ids }),
      )
      return dataKeyOf(both, kind)
    }
    return await provider.unwrap(ref, blob, dekContext({ purpose: kind, ...ids }))
  } catch (e) {
    if (!isAppError(e) || e.code !== 'KEY_UNAVAILABLE' || env.state !== 'active') throw e
    const health = await checkKeyHealth(provider, ref)
    if (health !== 'missing' && health !== 'disabled') throw e
    await changeEnvironmentState(ctx, env, 'lock', 'system:key-check', {
      keyName: env.key.name,
      keyVersion: row.key_version,
    }).catch(() => undefined)
    throw new AppError(
      'ENVIRONMENT_LOCKED',
      `Environment '${env.name}' is locked: its key is unavailable.`,
      { cause: e },
    )
  }
}
