import { AppError } from '../../shared/errors.ts'
import { parseSlug } from '../../shared/names.ts'
import { isoNow, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import { findTenantKeyRow } from '../keys/tenant-keys.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { findPolicyRow, toPolicy, type EncryptionPolicy } from './policy.ts'

export interface CreatePolicyInput {
  readonly tenant: string
  readonly name: string
  /** The customer-managed tenant key's name. */
  readonly key: string
  /** Default: the first configured region. */
  readonly region?: string | undefined
  readonly actor: Actor
}

/**
 * Creates an encryption policy pointing at a customer-managed key, for one region
 * (dataverse-spec §2: the policy's location must match its environments' region).
 * @throws NAME_INVALID, TENANT_NOT_FOUND, KEY_NOT_FOUND, REGION_NOT_FOUND, VALIDATION (a
 *   service-managed key), ALREADY_EXISTS
 */
export async function createPolicy(
  ctx: ControlContext,
  input: CreatePolicyInput,
): Promise<EncryptionPolicy> {
  const name = parseSlug(input.name, 'policy name')
  const tenant = await findTenant(ctx, input.tenant)
  const key = await findTenantKeyRow(ctx, tenant.name, input.key)
  if (key.managed_by !== 'customer') {
    throw new AppError(
      'VALIDATION',
      `Key '${key.name}' is service-managed; a policy needs a customer-managed key (key create / key import).`,
      { details: [{ path: 'key', message: 'not a customer-managed key' }] },
    )
  }
  const regionName = input.region ?? ctx.regions[0]?.name
  const region = await ctx.db
    .selectFrom('regions')
    .select('name')
    .where('name', '=', regionName ?? '')
    .executeTakeFirst()
  if (region === undefined) {
    throw new AppError('REGION_NOT_FOUND', `No region is named '${String(regionName)}'.`)
  }
  const at = isoNow(ctx)
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('encryption_policies')
        .values({
          id: ctx.random.uuid(),
          tenant_id: tenant.id,
          name,
          key_id: key.id,
          region: region.name,
          created_at: at,
        })
        .execute()
      await appendHistory(trx, {
        tenantId: tenant.id,
        at,
        actor: input.actor,
        action: 'policy.created',
        detail: { policyName: name, keyName: key.name, region: region.name },
      })
    })
  } catch (e) {
    if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new AppError('ALREADY_EXISTS', `The tenant has a policy '${name}'.`, { cause: e })
    }
    throw e
  }
  ctx.logger.log('info', 'policy.created', { tenantId: tenant.id })
  return toPolicy(ctx, await findPolicyRow(ctx, tenant.id, name))
}
