import type { EnvironmentId } from '../../shared/ids.ts'
import { checkKeyHealth } from '../../keys/check-key-health.ts'
import type { KeyHealth } from '../../keys/key-provider.ts'
import type { ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import { keyWarnings } from '../keys/key-warnings.ts'
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
  await recordHealth(ctx, inUse, results)
  return results
}

// The worst finding over a key's versions in use decides what the key shows.
const SEVERITY: Readonly<Record<KeyHealth, number>> = {
  available: 0,
  unreachable: 1,
  disabled: 2,
  missing: 3,
}

/**
 * Records each checked key's health (tenant_keys.health, since when, checked when), so `key
 * show` and `env show` show an outage before anything locks; and, once per key per UTC day,
 * looks at its expiry (certificate notAfter, CKA_END_DATE) and appends a `key.expiry-warning`
 * history entry per version in use that is expired or expires within 30 days.
 * Never throws: a failure here is logged and the check goes on.
 */
async function recordHealth(
  ctx: ControlContext,
  inUse: readonly {
    id: string
    tenant_id: string
    name: string
    provider: string
    provider_key_id: string
  }[],
  results: readonly KeyVersionHealth[],
): Promise<void> {
  const now = ctx.clock.now()
  const at = now.toISOString()
  const today = at.slice(0, 10)
  const keys = new Map<string, (typeof inUse)[number]>()
  for (const k of inUse) keys.set(k.id, k)
  for (const key of keys.values()) {
    try {
      const mine = results.filter((r) => r.tenantId === key.tenant_id && r.keyName === key.name)
      const worst = mine.reduce<KeyHealth>(
        (w, r) => (SEVERITY[r.health] > SEVERITY[w] ? r.health : w),
        'available',
      )
      const row = await ctx.db
        .selectFrom('tenant_keys')
        .select(['health', 'health_since', 'health_checked_at', 'expiry_checked_on'])
        .where('id', '=', key.id)
        .executeTakeFirst()
      if (row === undefined) continue
      await ctx.db
        .updateTable('tenant_keys')
        .set({
          health: worst,
          health_since: row.health === worst ? (row.health_since ?? at) : at,
          health_checked_at: at,
        })
        .where('id', '=', key.id)
        .execute()
      if (row.expiry_checked_on === today || worst !== 'available') continue
      const provider = ctx.providers.get(key.provider)
      if (provider === undefined) continue
      const info = await provider.describeKey(key.provider_key_id)
      const versions = new Set([info.currentVersion, ...mine.map((r) => r.version)])
      const warnings = keyWarnings(info.versions, versions, null, now)
      await ctx.db.transaction().execute(async (trx) => {
        for (const w of warnings) {
          await appendHistory(trx, {
            tenantId: key.tenant_id,
            at,
            actor: 'system:key-health',
            action: 'key.expiry-warning',
            detail: {
              keyName: key.name,
              provider: key.provider,
              version: w.version ?? null,
              warning: w.code,
              expiresAt:
                info.versions.find((v) => v.version === w.version)?.expiresAt?.toISOString() ??
                null,
            },
          })
          ctx.logger.log('warn', 'key-health.expiry', {
            tenantId: key.tenant_id,
            keyName: key.name,
            version: w.version,
            warning: w.code,
          })
        }
        await trx
          .updateTable('tenant_keys')
          .set({ expiry_checked_on: today })
          .where('id', '=', key.id)
          .execute()
      })
    } catch (e) {
      ctx.logger.log('error', 'key-health.record-failed', {
        tenantId: key.tenant_id,
        code: (e as { code?: unknown }).code,
      })
    }
  }
}
