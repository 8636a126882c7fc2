import { AppError } from '../../shared/errors.ts'
import type { TenantId } from '../../shared/ids.ts'
import type { ControlContext } from '../context.ts'

export interface Tenant {
  readonly id: TenantId
  readonly name: string
  readonly createdAt: string
}

/**
 * Finds a tenant by name.
 * @throws TENANT_NOT_FOUND
 */
export async function findTenant(ctx: ControlContext, name: string): Promise<Tenant> {
  const row = await ctx.db
    .selectFrom('tenants')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst()
  if (row === undefined) throw new AppError('TENANT_NOT_FOUND', `No tenant is named '${name}'.`)
  return { id: row.id as TenantId, name: row.name, createdAt: row.created_at }
}

export async function listTenants(ctx: ControlContext): Promise<Tenant[]> {
  const rows = await ctx.db.selectFrom('tenants').selectAll().orderBy('name').execute()
  return rows.map((r) => ({ id: r.id as TenantId, name: r.name, createdAt: r.created_at }))
}
