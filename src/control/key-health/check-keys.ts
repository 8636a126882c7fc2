import type { EnvironmentId } from '../../shared/ids.ts'
import { checkKeyHealth } from '../../keys/check-key-health.ts'
import type { KeyHealth } from '../../keys/key-provider.ts'
import type { ControlContext } from '../context.ts'
import { lockKeyEnvironments } from '../keys/lock-key-environments.ts'

/** The health of one key version that live environments depend on. */
export interface KeyVersionHealth {
  readonly tenantId: string
  readonly keyName: string
  readonly provider: string
  readonly version: number
  readonly health: KeyHealth
  /** Environments this check locked because of it. */
  readonly locked: readonly string[]
}

/**
 * The control plane's key-health check (DESIGN invariant 4; dataverse-spec §2 "Revocation").
 * For every key version that wraps the DEK of an active or disabled environment, asks the
 * provider (checkKeyHealth):
 * - `missing` (destroyed or deleted) or `disabled` → every environment on that version locks
 *   (DEK dropped from memory, history entry by `system:key-health` with the reason);
 * - `unreachable` → nothing locks; a warning is logged. Unlike Dataverse, which takes
 *   environments offline on any loss of access, an outage of the provider (HSM down, network)
 *   is not treated as a revocation: only a provider that positively answers "disabled" or
 *   "gone" locks. Every unwrap during the outage still fails (KEY_UNAVAILABLE), so nothing
 *   is served that the key doesn't allow; see docs/keys.md.
 * Never throws for one bad key: the others are still checked.
 */
export async function checkKeys(ctx: ControlContext): Promise<KeyVersionHealth[]> {
  // An environment that is not active must not keep its DEK in this process (DESIGN invariant
  // 4), even if no request has arrived since another process locked, disabled or deleted it.
  const inactive = await ctx.db
    .selectFrom('environments')
    .select('id')
    .where('state', '<>', 'active')
    .execute()
  for (const env of inactive) ctx.databases.evict(env.id as EnvironmentId)

  const inUse = await ctx.db
    .selectFrom('environments as e')
    .innerJoin('tenant_keys as k', 'k.id', 'e.key_id')
    .select(['k.id', 'k.tenant_id', 'k.name', 'k.provider', 'k.provider_key_id', 'e.key_version'])
    .where('e.state', 'in', ['active', 'disabled'])
    .where('e.wrapped_dek', 'is not', null)
    .groupBy(['k.id', 'e.key_version'])
    .orderBy('k.id')
    .orderBy('e.key_version')
    .execute()
  const results: KeyVersionHealth[] = []
  for (const key of inUse) {
    const provider = ctx.providers.get(key.provider)
    const health: KeyHealth =
      provider === undefined
        ? 'unreachable'
        : await checkKeyHealth(provider, { keyId: key.provider_key_id, version: key.key_version })
    let locked: string[] = []
    if (health === 'missing' || health === 'disabled') {
      try {
        locked = await lockKeyEnvironments(ctx, {
          keyRowId: key.id,
          version: key.key_version,
          actor: 'system:key-health',
          detail: { reason: `key ${health}` },
        })
      } catch (e) {
        ctx.logger.log('error', 'key-health.lock-failed', {
          tenantId: key.tenant_id,
          code: (e as { code?: unknown }).code,
        })
      }
      ctx.logger.log('warn', 'key-health.locked', {
        tenantId: key.tenant_id,
        keyName: key.name,
        version: key.key_version,
        health,
        locked: locked.length,
      })
    } else if (health === 'unreachable') {
      // Not a revocation (no state change), but nothing may be served without the key: warm
      // handles hold the DEK, so they are closed and every request needs an unwrap, which
      // fails with KEY_UNAVAILABLE until the provider answers again.
      const dependents = await ctx.db
        .selectFrom('environments')
        .select('id')
        .where('key_id', '=', key.id)
        .where('key_version', '=', key.key_version)
        .execute()
      for (const env of dependents) ctx.databases.evict(env.id as EnvironmentId)
      ctx.logger.log('warn', 'key-health.unreachable', {
        tenantId: key.tenant_id,
        keyName: key.name,
        provider: key.provider,
        version: key.key_version,
      })
    }
    results.push({
      tenantId: key.tenant_id,
      keyName: key.name,
      provider: key.provider,
      version: key.key_version,
      health,
      locked,
    })
  }
  return results
}
