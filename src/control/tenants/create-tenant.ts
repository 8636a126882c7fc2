import { AppError } from '../../shared/errors.ts'
import type { TenantId } from '../../shared/ids.ts'
import { parseSlug } from '../../shared/names.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import type { Tenant } from './find-tenant.ts'

/** The name of every tenant's service-managed key encryption key. */
export const SERVICE_KEY_NAME = 'service'

/**
 * Creates a tenant and its service-managed key encryption key in the local vault.
 * @throws NAME_INVALID, ALREADY_EXISTS
 */
export async function createTenant(
  ctx: ControlContext,
  input: { name: string; actor: Actor },
): Promise<Tenant> {
  const name = parseSlug(input.name, 'tenant name')
  const existing = await ctx.db
    .selectFrom('tenants')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst()
  if (existing !== undefined) throw new AppError('ALREADY_EXISTS', `Tenant '${name}' exists.`)

  const id = ctx.random.uuid() as TenantId
  const at = isoNow(ctx)
  const provider = providerOf(ctx, 'local')
  const key = await provider.createKey({ label: `tenant:${id}`, type: 'aes-256' })
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('tenants').values({ id, name, created_at: at }).execute()
      await trx
        .insertInto('tenant_keys')
        .values({
          id: ctx.random.uuid(),
          tenant_id: id,
          name: SERVICE_KEY_NAME,
          provider: provider.kind,
          provider_key_id: key.keyId,
          managed_by: 'service',
          created_at: at,
        })
        .execute()
      await appendHistory(trx, {
        tenantId: id,
        at,
        actor: input.actor,
        action: 'tenant.created',
        detail: { name, keyVersion: key.currentVersion },
      })
    })
  } catch (e) {
    // Another process took the name between the check and the insert: shred the unused key.
    await provider
      .setVersionStatus({ keyId: key.keyId, version: key.currentVersion }, 'destroyed')
      .catch(() => undefined)
    if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new AppError('ALREADY_EXISTS', `Tenant '${name}' exists.`, { cause: e })
    }
    throw e
  }
  ctx.logger.log('info', 'tenant.created', { tenantId: id })
  return { id, name, createdAt: at }
}
