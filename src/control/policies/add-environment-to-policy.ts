import { AppError } from '../../shared/errors.ts'
import { isoNow, type Actor, type ControlContext } from '../context.ts'
import {
  findEnvironment,
  findEnvironmentById,
  type Environment,
} from '../environments/environment.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { findPolicyRow, toPolicy, type EncryptionPolicy } from './policy.ts'
import { rewrapEnvironmentKey } from './rewrap-environment-key.ts'

export interface PolicyEnvironmentInput {
  readonly tenant: string
  readonly policy: string
  readonly env: string
  readonly actor: Actor
}

/**
 * Applies a policy's customer-managed key to an environment (dataverse-spec §2 "Add
 * environment"): its DEK is re-wrapped under the key's current version in one control
 * transaction. No data rewrite and no downtime. Only environments in the policy's region, and
 * not already under a policy.
 * @throws TENANT_NOT_FOUND, POLICY_NOT_FOUND, ENVIRONMENT_NOT_FOUND, POLICY_REGION_MISMATCH,
 *   ALREADY_EXISTS, ENVIRONMENT_LOCKED, INVALID_STATE, KEY_UNAVAILABLE
 */
export async function addEnvironmentToPolicy(
  ctx: ControlContext,
  input: PolicyEnvironmentInput,
): Promise<{ policy: EncryptionPolicy; environment: Environment }> {
  const tenant = await findTenant(ctx, input.tenant)
  const policy = await findPolicyRow(ctx, tenant.id, input.policy)
  const env = await findEnvironment(ctx, tenant.name, input.env)
  if (env.region !== policy.region) {
    throw new AppError(
      'POLICY_REGION_MISMATCH',
      `Environment '${env.name}' is in region '${env.region}'; policy '${policy.name}' is for region '${policy.region}'.`,
    )
  }
  const member = await ctx.db
    .selectFrom('encryption_policy_environments as pe')
    .innerJoin('encryption_policies as p', 'p.id', 'pe.policy_id')
    .select('p.name')
    .where('pe.environment_id', '=', env.id)
    .executeTakeFirst()
  if (member !== undefined) {
    throw new AppError(
      'ALREADY_EXISTS',
      `Environment '${env.name}' is already under policy '${member.name}'; remove it from there first.`,
    )
  }
  await rewrapEnvironmentKey(ctx, {
    env,
    to: {
      rowId: policy.keyRowId,
      name: policy.keyName,
      provider: policy.provider,
      providerKeyId: policy.providerKeyId,
    },
    actor: input.actor,
    action: 'policy.environment-added',
    detail: { policyName: policy.name },
    also: async (trx) => {
      await trx
        .insertInto('encryption_policy_environments')
        .values({ environment_id: env.id, policy_id: policy.id, added_at: isoNow(ctx) })
        .execute()
    },
  })
  return {
    policy: await toPolicy(ctx, policy),
    environment: (await findEnvironmentById(ctx, env.id)) ?? env,
  }
}
