import { sql } from 'kysely'
import type { KeyProvider, KeyVersionStatus, ProviderKeyInfo } from '../../keys/key-provider.ts'
import { eachConcurrently } from '../../shared/each-concurrently.ts'
import { AppError } from '../../shared/errors.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { healthRecord, keyWarnings, type KeyHealthRecord, type KeyWarning } from './key-warnings.ts'
import {
  commitRewrap,
  rewrapDataKeys,
  type PreparedRewrap,
  type WrappingKey,
} from './rewrap-data-keys.ts'

/** Re-wraps in flight at once during a rotation (bench:keys: 10,000 in under 10 s on SoftHSM). */
const REWRAP_CONCURRENCY = 8

export interface TenantKeyVersion {
  readonly version: number
  readonly status: KeyVersionStatus
  readonly createdAt: string
  /** Certificate notAfter (uploaded key) or CKA_END_DATE (HSM), when the provider has one. */
  readonly expiresAt: string | null
  readonly current: boolean
  /** Live environments whose DEK is wrapped by this version. */
  readonly environments: number
  /** Their names, sorted. */
  readonly environmentNames: readonly string[]
}

export interface TenantKey {
  readonly name: string
  readonly provider: string
  readonly keyId: string
  readonly type: string
  readonly managedBy: 'service' | 'customer'
  readonly currentVersion: number
  /** The status of the current version: `disabled` after `key revoke`. */
  readonly status: KeyVersionStatus
  readonly versions: readonly TenantKeyVersion[]
  /** What the key-health check last found (null before its first run over this key). */
  readonly health: KeyHealthRecord | null
  /** Expiry ahead or past for a version in use; provider unreachable (keyWarnings). */
  readonly warnings: readonly KeyWarning[]
}

/**
 * The tenant_keys row of `tenant`'s key `name`.
 * @throws TENANT_NOT_FOUND, KEY_NOT_FOUND
 */
export async function findTenantKeyRow(ctx: ControlContext, tenant: string, name: string) {
  const t = await findTenant(ctx, tenant)
  const row = await ctx.db
    .selectFrom('tenant_keys')
    .selectAll()
    .where('tenant_id', '=', t.id)
    .where('name', '=', name)
    .executeTakeFirst()
  if (row === undefined) {
    throw new AppError('KEY_NOT_FOUND', `Tenant '${tenant}' has no key named '${name}'.`)
  }
  return row
}

/**
 * A tenant key with its versions, their status and how many environments each still wraps.
 * @throws TENANT_NOT_FOUND, KEY_NOT_FOUND
 */
export async function describeTenantKey(
  ctx: ControlContext,
  tenant: string,
  name: string,
): Promise<TenantKey> {
  const row = await findTenantKeyRow(ctx, tenant, name)
  const info = await providerOf(ctx, row.provider).describeKey(row.provider_key_id)
  const usage = await ctx.db
    .selectFrom('environments')
    .select(['key_version', 'name'])
    .where('key_id', '=', row.id)
    .where('state', '<>', 'purged')
    .orderBy('name')
    .execute()
  const names = new Map<number, string[]>()
  for (const u of usage) names.set(u.key_version, [...(names.get(u.key_version) ?? []), u.name])
  const health = healthRecord(row)
  const inUse = new Set([info.currentVersion, ...names.keys()])
  return {
    name: row.name,
    provider: row.provider,
    keyId: row.provider_key_id,
    type: info.type,
    managedBy: row.managed_by,
    currentVersion: info.currentVersion,
    status: info.versions.find((v) => v.version === info.currentVersion)?.status ?? 'destroyed',
    versions: info.versions.map((v) => ({
      version: v.version,
      status: v.status,
      createdAt: v.createdAt.toISOString(),
      expiresAt: v.expiresAt?.toISOString() ?? null,
      current: v.version === info.currentVersion,
      environments: names.get(v.version)?.length ?? 0,
      environmentNames: names.get(v.version) ?? [],
    })),
    health,
    warnings: keyWarnings(info.versions, inUse, health, ctx.clock.now()),
  }
}

export async function listTenantKeys(ctx: ControlContext, tenant: string): Promise<TenantKey[]> {
  const t = await findTenant(ctx, tenant)
  const rows = await ctx.db
    .selectFrom('tenant_keys')
    .select('name')
    .where('tenant_id', '=', t.id)
    .orderBy('name')
    .execute()
  return Promise.all(rows.map((r) => describeTenantKey(ctx, tenant, r.name)))
}

/**
 * Rotates a tenant key: the provider makes a new version, then the data keys (DEK and field
 * key) of every environment on an older version are re-wrapped by the new one
 * (rewrapDataKeys). Data files are not touched (no rewrite, no downtime). The re-wrap commits
 * in one transaction, each row through the shared conditional update (commitRewrap).
 * Older versions stay enabled (they may still be needed by backups) until retired.
 * @throws TENANT_NOT_FOUND, KEY_NOT_FOUND, KEY_UNAVAILABLE
 */
export async function rotateTenantKey(
  ctx: ControlContext,
  input: { tenant: string; name: string; actor: Actor },
  /** Makes the new version: the provider generates it, or (uploaded keys) an import adds it. */
  newVersion: (provider: KeyProvider, keyId: string) => Promise<ProviderKeyInfo> = (p, keyId) =>
    p.rotateKey(keyId),
): Promise<{ key: TenantKey; rewrapped: number; skippedEnvironments: string[] }> {
  const row = await findTenantKeyRow(ctx, input.tenant, input.name)
  const provider = providerOf(ctx, row.provider)
  // A revoked key stays revoked: rotating would add an enabled version and quietly undo it.
  const before = await provider.describeKey(row.provider_key_id)
  const current = before.versions.find((v) => v.version === before.currentVersion)
  if (current?.status !== 'enabled') {
    throw new AppError(
      'INVALID_STATE',
      `Key '${row.name}' is revoked or disabled; restore it before rotating.`,
    )
  }
  const rotated = await newVersion(provider, row.provider_key_id)
  const version = rotated.currentVersion
  const envs = await ctx.db
    .selectFrom('environments')
    .select(['id', 'tenant_id', 'key_version', 'wrapped_dek', 'wrapped_field_key', 'key_layout'])
    .where('key_id', '=', row.id)
    .where('wrapped_dek', 'is not', null)
    .where('key_version', '<>', version)
    .execute()

  const updates: PreparedRewrap[] = []
  // An environment whose keys can't be unwrapped (its version disabled, a damaged blob) stays
  // on its version and is reported; it doesn't stop the others from moving.
  const skipped: string[] = []
  // Several at once: a provider with parallel sessions (PKCS#11) overlaps its unwraps.
  await eachConcurrently(envs, REWRAP_CONCURRENCY, async (env) => {
    if (env.wrapped_dek === null) return
    const keyAt = (v: number): WrappingKey => ({
      rowId: row.id,
      provider: row.provider,
      providerKeyId: row.provider_key_id,
      version: v,
    })
    try {
      updates.push(
        await rewrapDataKeys(ctx, {
          tenantId: env.tenant_id,
          environmentId: env.id,
          from: keyAt(env.key_version),
          to: keyAt(version),
          wrapped: {
            dek: env.wrapped_dek,
            fieldKey: env.wrapped_field_key,
            layout: env.key_layout,
          },
        }),
      )
    } catch (e) {
      ctx.logger.log('warn', 'key.rewrap-skipped', {
        environmentId: env.id,
        code: (e as { code?: unknown }).code,
      })
      skipped.push(env.id)
    }
  })

  const at = isoNow(ctx)
  let rewrapped = 0
  await ctx.db.transaction().execute(async (trx) => {
    // Each row only if it still holds the keys this rotation unwrapped under this key: a
    // policy change (add-env, remove-env) or another rotation that committed meanwhile wins.
    for (const u of updates) {
      if (await commitRewrap(trx, u, { at })) rewrapped += 1
      // Lost to a change that committed first (a policy change, a new field key): it stays on
      // its version and is reported, like one whose keys didn't unwrap.
      else skipped.push(u.environmentId)
    }
    await appendHistory(trx, {
      tenantId: row.tenant_id,
      at,
      actor: input.actor,
      action: 'key.rotated',
      detail: { keyName: row.name, version, rewrapped, skipped: skipped.length },
    })
  })
  // The superseded wrapped DEKs are zeroed in the pages (secure_delete); move the WAL frames
  // that still hold them into the file and truncate the WAL.
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db)
  ctx.logger.log('info', 'key.rotated', {
    tenantId: row.tenant_id,
    version,
    rewrapped,
  })
  return {
    key: await describeTenantKey(ctx, input.tenant, input.name),
    rewrapped,
    skippedEnvironments: skipped,
  }
}

/**
 * Disables an old key version. Refused while any environment's DEK is still wrapped by it
 * (so no data is ever stranded) and for the current version (that is a revoke).
 * @throws KEY_NOT_FOUND, IN_USE, INVALID_STATE
 */
export async function retireKeyVersion(
  ctx: ControlContext,
  input: { tenant: string; name: string; version: number; actor: Actor },
): Promise<TenantKey> {
  const key = await describeTenantKey(ctx, input.tenant, input.name)
  const v = key.versions.find((x) => x.version === input.version)
  if (v === undefined) {
    throw new AppError('KEY_NOT_FOUND', `Key '${key.name}' has no version ${input.version}.`)
  }
  if (v.current) {
    throw new AppError(
      'INVALID_STATE',
      `Version ${v.version} is the current version; rotate first.`,
    )
  }
  if (v.environments > 0) {
    throw new AppError(
      'IN_USE',
      `Version ${v.version} still wraps the keys of ${v.environments} environment(s); rotate first.`,
    )
  }
  const row = await findTenantKeyRow(ctx, input.tenant, input.name)
  await providerOf(ctx, row.provider).setVersionStatus(
    { keyId: row.provider_key_id, version: v.version },
    'disabled',
  )
  await appendHistory(ctx.db, {
    tenantId: row.tenant_id,
    at: isoNow(ctx),
    actor: input.actor,
    action: 'key.version-retired',
    detail: { keyName: row.name, version: v.version },
  })
  return describeTenantKey(ctx, input.tenant, input.name)
}
