import { AppError } from '../../shared/errors.ts'
import type { ControlContext } from '../context.ts'
import {
  findEnvironment,
  findEnvironmentById,
  type Environment,
} from '../environments/environment.ts'
import { findTenantKeyRow } from '../keys/tenant-keys.ts'
import { SERVICE_KEY_NAME } from '../tenants/create-tenant.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import type { PolicyEnvironmentInput } from './add-environment-to-policy.ts'
import { findPolicyRow, toPolicy, type EncryptionPolicy } from './policy.ts'
import { rewrapEnvironmentKey } from './rewrap-environment-key.ts'

/**
 * Reverts an environment to the tenant's service-managed key (dataverse-spec §2 "Remove
 * environment"): the DEK is unwrapped with the customer key and re-wrapped under the service
 * key's current version in one control transaction. Needs the customer key to be usable, so a
 * locked environment must be unlocked first. Keep the customer key (do not destroy it) while
 * backups made under it may be restored.
 * @throws TENANT_NOT_FOUND, POLICY_NOT_FOUND, ENVIRONMENT_NOT_FOUND, INVALID_STATE,
 *   ENVIRONMENT_LOCKED, KEY_UNAVAILABLE
 */
export async function removeEnvironmentFromPolicy(
  ctx: ControlContext,
  input: PolicyEnvironmentInput,
): Promise<{ policy: EncryptionPolicy; environment: Environment }> {
  const tenant = await findTenant(ctx, input.tenant)
  const policy = await findPolicyRow(ctx, tenant.id, input.policy)
  const env = await findEnvironment(ctx, tenant.name, input.env)
  const member = await ctx.db
    .selectFrom('encryption_policy_environments')
    .select('environment_id')
    .where('environment_id', '=', env.id)
    .where('policy_id', '=', policy.id)
    .executeTakeFirst()
  if (member === undefined) {
    throw new AppError(
      'INVALID_STATE',
      `Environment '${env.name}' is not under policy '${policy.name}'.`,
    )
  }
  const service = await findTenantKeyRow(ctx, tenant.name, SERVICE_KEY_NAME)
  await rewrapEnvironmentKey(ctx, {
    env,
    to: {
      rowId: service.id,
      name: service.name,
      provider: service.provider,
      providerKeyId: service.provider_key_id,
    },
    actor: input.actor,
    action: 'policy.environment-removed',
    detail: { policyName: policy.name },
    also: async (trx) => {
      await trx
        .deleteFrom('encryption_policy_environments')
        .where('environment_id', '=', env.id)
        .where('policy_id', '=', policy.id)
        .execute()
    },
  })
  return {
    policy: await toPolicy(ctx, policy),
    environment: (await findEnvironmentById(ctx, env.id)) ?? env,
  }
}
