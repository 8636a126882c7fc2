import {
  deleteEnvironment,
  disableEnvironment,
  enableEnvironment,
  purgeEnvironment,
  recoverEnvironment,
} from '../../control/environments/change-environment-state.ts'
import { createEnvironment } from '../../control/environments/create-environment.ts'
import {
  findEnvironment,
  listEnvironments,
  type Environment,
} from '../../control/environments/environment.ts'
import { unlockEnvironment } from '../../control/environments/resolve-environment-key.ts'
import type { ControlContext } from '../../control/context.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { environmentUrls, publicBaseUrl } from '../../api/urls.ts'
import { formatTable } from '../io.ts'

const TENANT = { tenant: { type: 'string', description: 'Tenant name', required: true } } as const

const describe = (e: Environment): string =>
  [
    `name:      ${e.name}`,
    `id:        ${e.id}`,
    `tenant:    ${e.tenant}`,
    `region:    ${e.region} (${e.geography})`,
    `type:      ${e.type}`,
    `state:     ${e.state}${e.lockedFrom === null ? '' : ` (unlock returns it to ${e.lockedFrom})`}`,
    `key:       ${e.key.name} v${e.key.version} (${e.key.provider}, ${e.key.managedBy}-managed)`,
    `created:   ${e.createdAt}`,
    ...(e.deletedAt === null
      ? []
      : [`deleted:   ${e.deletedAt}`, `purgeable: ${String(e.purgeAfter)}`]),
  ].join('\n') + '\n'

const lifecycle = (
  name: string,
  summary: string,
  op: (
    ctx: ControlContext,
    i: { tenant: string; name: string; actor: string },
  ) => Promise<Environment>,
) =>
  defineCommand({
    name,
    summary,
    args: ['name'],
    options: TENANT,
    async run(input: CommandInput) {
      return op((await input.app()).control, {
        tenant: requiredOption(input, 'tenant'),
        name: input.args['name'] ?? '',
        actor: input.actor,
      })
    },
    human: (e) => `Environment ${e.name} is ${e.state}\n`,
  })

export const envCreate = defineCommand({
  name: 'env create',
  summary: 'Create an environment with its own encrypted database.',
  args: ['name'],
  options: {
    ...TENANT,
    region: { type: 'string', description: 'Region (default: the first configured)' },
    type: { type: 'string', description: 'production | sandbox | developer (default sandbox)' },
  },
  async run(input) {
    return createEnvironment((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      region: stringOption(input, 'region'),
      type: stringOption(input, 'type'),
      actor: input.actor,
    })
  },
  human: describe,
})

export const envList = defineCommand({
  name: 'env list',
  summary: 'List environments, of one tenant or all.',
  args: [],
  options: { tenant: { type: 'string', description: 'Tenant name' } },
  async run(input) {
    return listEnvironments((await input.app()).control, { tenant: stringOption(input, 'tenant') })
  },
  human: (rows) =>
    formatTable(
      rows.map((e) => ({ ...e, key: `${e.key.name} v${e.key.version}` })),
      ['tenant', 'name', 'type', 'region', 'state', 'key', 'id'],
    ),
})

export const envShow = defineCommand({
  name: 'env show',
  summary: 'Show an environment: id, region, state, key id and version, URLs.',
  args: ['name'],
  options: TENANT,
  async run(input) {
    const env = await findEnvironment(
      (await input.app()).control,
      requiredOption(input, 'tenant'),
      input.args['name'] ?? '',
    )
    return {
      ...env,
      ...environmentUrls(
        publicBaseUrl(input.config),
        env.tenant,
        env.name,
        input.config.server.routing,
      ),
    }
  },
  human: (e) => describe(e) + `url:       ${e.url}\nweb API:   ${e.webApiUrl}\n`,
})

export const envDelete = lifecycle(
  'env delete',
  'Delete an environment (recoverable during the recovery window).',
  deleteEnvironment,
)
export const envRecover = lifecycle(
  'env recover',
  'Recover a deleted environment within its recovery window.',
  recoverEnvironment,
)
export const envDisable = lifecycle('env disable', 'Disable an environment.', disableEnvironment)
export const envEnable = lifecycle(
  'env enable',
  'Re-enable a disabled environment.',
  enableEnvironment,
)
export const envUnlock = lifecycle(
  'env unlock',
  'Re-enable a locked environment once its key is available again.',
  unlockEnvironment,
)

export const envPurge = defineCommand({
  name: 'env purge',
  summary: 'Crypto-shred a deleted environment: destroy its key and files. Irreversible.',
  args: ['name'],
  options: {
    ...TENANT,
    force: { type: 'boolean', description: 'Purge even inside the recovery window' },
  },
  async run(input) {
    return purgeEnvironment((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      actor: input.actor,
      force: input.options['force'] === true,
    })
  },
  human: (e) => `Environment ${e.name} is purged\n`,
})
