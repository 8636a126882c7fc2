import { AppError } from '../../shared/errors.ts'
import type { TenantId } from '../../shared/ids.ts'
import type { ControlContext } from '../context.ts'

/** An encryption policy: a customer-managed key and the environments it protects. */
export interface EncryptionPolicy {
  readonly name: string
  /** The tenant key's name. */
  readonly key: string
  readonly provider: string
  readonly region: string
  /** Names of the live environments under the policy, sorted. */
  readonly environments: readonly string[]
  readonly createdAt: string
}

export interface PolicyRow {
  readonly id: string
  readonly tenantId: TenantId
  readonly name: string
  readonly region: string
  readonly createdAt: string
  readonly keyRowId: string
  readonly keyName: string
  readonly provider: string
  readonly providerKeyId: string
}

function policyQuery(ctx: ControlContext, tenantId: TenantId) {
  return ctx.db
    .selectFrom('encryption_policies as p')
    .innerJoin('tenant_keys as k', 'k.id', 'p.key_id')
    .select([
      'p.id',
      'p.tenant_id',
      'p.name',
      'p.region',
      'p.created_at',
      'k.id as key_row_id',
      'k.name as key_name',
      'k.provider',
      'k.provider_key_id',
    ])
    .where('p.tenant_id', '=', tenantId)
}

type Row = Awaited<ReturnType<ReturnType<typeof policyQuery>['executeTakeFirstOrThrow']>>

const toRow = (r: Row): PolicyRow => ({
  id: r.id,
  tenantId: r.tenant_id as TenantId,
  name: r.name,
  region: r.region,
  createdAt: r.created_at,
  keyRowId: r.key_row_id,
  keyName: r.key_name,
  provider: r.provider,
  providerKeyId: r.provider_key_id,
})

/**
 * The policy `name` of a tenant, with its key.
 * @throws POLICY_NOT_FOUND
 */
export async function findPolicyRow(
  ctx: ControlContext,
  tenantId: TenantId,
  name: string,
): Promise<PolicyRow> {
  const row = await policyQuery(ctx, tenantId).where('p.name', '=', name).executeTakeFirst()
  if (row === undefined) {
    throw new AppError('POLICY_NOT_FOUND', `The tenant has no encryption policy '${name}'.`)
  }
  return toRow(row)
}

/** Every policy of a tenant, by name. */
export async function policyRows(ctx: ControlContext, tenantId: TenantId): Promise<PolicyRow[]> {
  return (await policyQuery(ctx, tenantId).orderBy('p.name').execute()).map(toRow)
}

/** The policy as callers see it, with the names of its live environments. */
export async function toPolicy(ctx: ControlContext, row: PolicyRow): Promise<EncryptionPolicy> {
  const envs = await ctx.db
    .selectFrom('encryption_policy_environments as pe')
    .innerJoin('environments as e', 'e.id', 'pe.environment_id')
    .select('e.name')
    .where('pe.policy_id', '=', row.id)
    .where('e.state', '<>', 'purged')
    .orderBy('e.name')
    .execute()
  return {
    name: row.name,
    key: row.keyName,
    provider: row.provider,
    region: row.region,
    environments: envs.map((e) => e.name),
    createdAt: row.createdAt,
  }
}
