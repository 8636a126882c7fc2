import { addEnvironmentToPolicy } from '../../control/policies/add-environment-to-policy.ts'
import { createPolicy } from '../../control/policies/create-policy.ts'
import { listPolicies } from '../../control/policies/list-policies.ts'
import type { EncryptionPolicy } from '../../control/policies/policy.ts'
import { removeEnvironmentFromPolicy } from '../../control/policies/remove-environment-from-policy.ts'
import type { Environment } from '../../control/environments/environment.ts'
import { defineCommand, requiredOption, stringOption } from '../command.ts'
import { formatTable } from '../io.ts'

const TENANT = { tenant: { type: 'string', description: 'Tenant name', required: true } } as const
const ENV = { env: { type: 'string', description: 'Environment name', required: true } } as const

const describe = (p: EncryptionPolicy): string =>
  `${p.name}: key ${p.key} (${p.provider}), region ${p.region}, environments: ${p.environments.join(', ') || '(none)'}\n`

const moved = (r: { policy: EncryptionPolicy; environment: Environment }): string =>
  `Environment ${r.environment.name} now uses key ${r.environment.key.name} v${r.environment.key.version} (${r.environment.key.managedBy}-managed)\n`

export const policyCreate = defineCommand({
  name: 'policy create',
  summary: 'Create an encryption policy on a customer-managed key, for one region.',
  args: ['name'],
  options: {
    ...TENANT,
    key: { type: 'string', description: 'Customer-managed key name', required: true },
    region: { type: 'string', description: 'Region (default: the first configured)' },
  },
  async run(input) {
    return createPolicy((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      key: requiredOption(input, 'key'),
      region: stringOption(input, 'region'),
      actor: input.actor,
    })
  },
  human: describe,
})

export const policyAddEnv = defineCommand({
  name: 'policy add-env',
  summary: "Put an environment under a policy: re-wrap its key under the policy's key.",
  args: ['policy'],
  options: { ...TENANT, ...ENV },
  async run(input) {
    return addEnvironmentToPolicy((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      policy: input.args['policy'] ?? '',
      env: requiredOption(input, 'env'),
      actor: input.actor,
    })
  },
  human: moved,
})

export const policyRemoveEnv = defineCommand({
  name: 'policy remove-env',
  summary: "Take an environment out of a policy: revert to the tenant's service-managed key.",
  args: ['policy'],
  options: { ...TENANT, ...ENV },
  async run(input) {
    return removeEnvironmentFromPolicy((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      policy: input.args['policy'] ?? '',
      env: requiredOption(input, 'env'),
      actor: input.actor,
    })
  },
  human: moved,
})

export const policyList = defineCommand({
  name: 'policy list',
  summary: "List a tenant's encryption policies.",
  args: [],
  options: TENANT,
  async run(input) {
    return listPolicies((await input.app()).control, requiredOption(input, 'tenant'))
  },
  human: (policies) =>
    formatTable(
      policies.map((p) => ({ ...p, environments: p.environments.join(',') })),
      ['name', 'key', 'provider', 'region', 'environments'],
    ),
})
