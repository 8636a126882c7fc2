import type { ControlContext } from '../context.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { policyRows, toPolicy, type EncryptionPolicy } from './policy.ts'

/**
 * A tenant's encryption policies with their keys and environments.
 * @throws TENANT_NOT_FOUND
 */
export async function listPolicies(
  ctx: ControlContext,
  tenant: string,
): Promise<EncryptionPolicy[]> {
  const t = await findTenant(ctx, tenant)
  const rows = await policyRows(ctx, t.id)
  return Promise.all(rows.map((r) => toPolicy(ctx, r)))
}
