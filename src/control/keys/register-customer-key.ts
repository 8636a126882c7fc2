import type { KeyProvider, ProviderKeyInfo } from '../../keys/key-provider.ts'
import { AppError } from '../../shared/errors.ts'
import type { TenantId } from '../../shared/ids.ts'
import { isoNow, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'

/**
 * Refuses a key name the tenant already uses, before anything is created in a provider.
 * @throws ALREADY_EXISTS
 */
export async function assertKeyNameFree(
  ctx: ControlContext,
  tenantId: TenantId,
  name: string,
): Promise<void> {
  const clash = await ctx.db
    .selectFrom('tenant_keys')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (clash !== undefined) throw new AppError('ALREADY_EXISTS', `The tenant has a key '${name}'.`)
}

/**
 * Records a key just created or imported in `provider` as a customer-managed tenant key, with a
 * history entry, in one transaction. If the insert fails (the name was taken meanwhile), every
 * version of the new provider key is destroyed so nothing is left orphaned in the provider.
 * @throws ALREADY_EXISTS
 */
export async function registerCustomerKey(
  ctx: ControlContext,
  input: {
    tenantId: TenantId
    name: string
    provider: KeyProvider
    key: ProviderKeyInfo
    action: string
    actor: Actor
  },
): Promise<void> {
  const at = isoNow(ctx)
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tenant_keys')
        .values({
          id: ctx.random.uuid(),
          tenant_id: input.tenantId,
          name: input.name,
          provider: input.provider.kind,
          provider_key_id: input.key.keyId,
          managed_by: 'customer',
          created_at: at,
        })
        .execute()
      await appendHistory(trx, {
        tenantId: input.tenantId,
        at,
        actor: input.actor,
        action: input.action,
        detail: {
          keyName: input.name,
          provider: input.provider.kind,
          keyId: input.key.keyId,
          type: input.key.type,
          version: input.key.currentVersion,
        },
      })
    })
  } catch (e) {
    for (const v of input.key.versions) {
      await input.provider
        .setVersionStatus({ keyId: input.key.keyId, version: v.version }, 'destroyed')
        .catch(() => undefined)
    }
    if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new AppError('ALREADY_EXISTS', `The tenant has a key '${input.name}'.`, { cause: e })
    }
    throw e
  }
  ctx.logger.log('info', input.action, {
    tenantId: input.tenantId,
    provider: input.provider.kind,
    version: input.key.currentVersion,
  })
}
