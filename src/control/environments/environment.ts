import type { Kysely, Selectable } from 'kysely'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId, TenantId } from '../../shared/ids.ts'
import type { ControlContext } from '../context.ts'
import {
  isEnvironmentState,
  isLockedFrom,
  type EnvironmentState,
  type LockedFrom,
} from '../environment-state.ts'
import { healthRecord, type KeyHealthRecord } from '../keys/key-warnings.ts'
import type { ControlDb, EnvironmentType } from '../schema.ts'

export interface EnvironmentKeyRef {
  /** The tenant key's name ('service' for the service-managed key). */
  readonly name: string
  readonly provider: string
  /** The provider's key id. */
  readonly keyId: string
  readonly version: number
  readonly managedBy: 'service' | 'customer'
  /**
   * What the key-health check last found for the key (null before its first check): an
   * outage shows here (`unreachable` since when) before anything locks.
   */
  readonly health: KeyHealthRecord | null
}

export interface Environment {
  readonly id: EnvironmentId
  readonly name: string
  readonly tenantId: TenantId
  readonly tenant: string
  readonly region: string
  readonly geography: string
  readonly type: EnvironmentType
  readonly state: EnvironmentState
  /** While locked: the state the lock interrupted, where `env unlock` returns it. */
  readonly lockedFrom: LockedFrom | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly deletedAt: string | null
  /** When a deleted environment may be purged (end of the recovery window). */
  readonly purgeAfter: string | null
  readonly key: EnvironmentKeyRef
}

type Row = Selectable<ControlDb['environments']> & {
  tenant: string
  key_name: string
  provider: string
  provider_key_id: string
  managed_by: 'service' | 'customer'
  key_health: string | null
  key_health_since: string | null
  key_health_checked_at: string | null
}

/**
 * Environment rows joined with their tenant and key; purged rows are left out. `db` is a
 * transaction when the read belongs to one.
 */
export function environmentQuery(ctx: ControlContext, db: Kysely<ControlDb> = ctx.db) {
  return db
    .selectFrom('environments as e')
    .innerJoin('tenants as t', 't.id', 'e.tenant_id')
    .innerJoin('tenant_keys as k', 'k.id', 'e.key_id')
    .selectAll('e')
    .select([
      't.name as tenant',
      'k.name as key_name',
      'k.provider',
      'k.provider_key_id',
      'k.managed_by',
      'k.health as key_health',
      'k.health_since as key_health_since',
      'k.health_checked_at as key_health_checked_at',
    ])
    .where('e.state', '<>', 'purged')
}

export function toEnvironment(ctx: ControlContext, row: Row): Environment {
  if (!isEnvironmentState(row.state)) {
    throw new AppError('CONTROL_PLANE_CORRUPT', 'An environment has an unknown state.')
  }
  const region = ctx.regions.find((r) => r.name === row.region)
  const purgeAfter =
    row.deleted_at === null
      ? null
      : new Date(Date.parse(row.deleted_at) + ctx.recoveryWindowDays * 86_400_000).toISOString()
  return {
    id: row.id as EnvironmentId,
    name: row.name,
    tenantId: row.tenant_id as TenantId,
    tenant: row.tenant,
    region: row.region,
    geography: region?.geography ?? 'unknown',
    type: row.type,
    state: row.state,
    lockedFrom: row.state === 'locked' && isLockedFrom(row.locked_from) ? row.locked_from : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    purgeAfter,
    key: {
      name: row.key_name,
      provider: row.provider,
      keyId: row.provider_key_id,
      version: row.key_version,
      managedBy: row.managed_by,
      health: healthRecord({
        health: row.key_health,
        health_since: row.key_health_since,
        health_checked_at: row.key_health_checked_at,
      }),
    },
  }
}

/**
 * The live (not purged) environment `name` of tenant `tenant`.
 * @throws TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND
 */
export async function findEnvironment(
  ctx: ControlContext,
  tenant: string,
  name: string,
): Promise<Environment> {
  const row = await environmentQuery(ctx)
    .where('t.name', '=', tenant)
    .where('e.name', '=', name)
    .executeTakeFirst()
  if (row === undefined) {
    const t = await ctx.db
      .selectFrom('tenants')
      .select('id')
      .where('name', '=', tenant)
      .executeTakeFirst()
    if (t === undefined) throw new AppError('TENANT_NOT_FOUND', `No tenant is named '${tenant}'.`)
    throw new AppError('ENVIRONMENT_NOT_FOUND', `Tenant '${tenant}' has no environment '${name}'.`)
  }
  return toEnvironment(ctx, row)
}

export async function findEnvironmentById(
  ctx: ControlContext,
  id: EnvironmentId,
): Promise<Environment | undefined> {
  const row = await environmentQuery(ctx).where('e.id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toEnvironment(ctx, row)
}

export async function listEnvironments(
  ctx: ControlContext,
  filter: { tenant?: string | undefined } = {},
): Promise<Environment[]> {
  let q = environmentQuery(ctx)
  if (filter.tenant !== undefined) {
    const t = await ctx.db
      .selectFrom('tenants')
      .select('id')
      .where('name', '=', filter.tenant)
      .executeTakeFirst()
    if (t === undefined) {
      throw new AppError('TENANT_NOT_FOUND', `No tenant is named '${filter.tenant}'.`)
    }
    q = q.where('e.tenant_id', '=', t.id)
  }
  const rows = await q.orderBy('t.name').orderBy('e.name').execute()
  return rows.map((r) => toEnvironment(ctx, r))
}

/**
 * The data-access gate, run on every request by every delivery layer (Web API, CLI): the state
 * is read fresh from the control plane, so a lock, disable or delete made by another process
 * takes effect on this process's next request, and the open handle (with the DEK inside
 * SQLite's codec) is dropped at once.
 * @throws ENVIRONMENT_LOCKED, ENVIRONMENT_UNAVAILABLE
 */
export function ensureUsable(ctx: ControlContext, env: Environment): void {
  if (env.state !== 'active') ctx.databases.evict(env.id)
  assertUsable(env)
}

/**
 * Refuses data access unless the environment is active: locked → ENVIRONMENT_LOCKED,
 * provisioning/disabled/deleted → ENVIRONMENT_UNAVAILABLE.
 */
export function assertUsable(env: Environment): void {
  if (env.state === 'active') return
  if (env.state === 'locked') {
    throw new AppError(
      'ENVIRONMENT_LOCKED',
      `Environment '${env.name}' is locked: its key is unavailable.`,
    )
  }
  throw new AppError('ENVIRONMENT_UNAVAILABLE', `Environment '${env.name}' is ${env.state}.`)
}
