import {
  describeTenantKey,
  listTenantKeys,
  retireKeyVersion,
  rotateTenantKey,
  type TenantKey,
} from '../../control/keys/tenant-keys.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, requiredOption } from '../command.ts'
import { formatTable } from '../io.ts'

const TENANT = { tenant: { type: 'string', description: 'Tenant name', required: true } } as const

const describe = (k: TenantKey): string =>
  `${k.name}: ${k.type}, provider ${k.provider}, ${k.managedBy}-managed, current version ${k.currentVersion}\n` +
  formatTable(
    k.versions.map((v) => ({ ...v, current: v.current ? 'yes' : '' })),
    ['version', 'status', 'current', 'environments', 'createdAt'],
  )

export const keyList = defineCommand({
  name: 'key list',
  summary: "List a tenant's keys.",
  args: [],
  options: TENANT,
  async run(input) {
    return listTenantKeys((await input.app()).control, requiredOption(input, 'tenant'))
  },
  human: (keys) =>
    formatTable(keys, ['name', 'type', 'provider', 'managedBy', 'currentVersion', 'keyId']),
})

export const keyShow = defineCommand({
  name: 'key show',
  summary: 'Show a key: versions, status, environments that depend on each version.',
  args: ['name'],
  options: TENANT,
  async run(input) {
    return describeTenantKey(
      (await input.app()).control,
      requiredOption(input, 'tenant'),
      input.args['name'] ?? '',
    )
  },
  human: describe,
})

export const keyRotate = defineCommand({
  name: 'key rotate',
  summary: 'New key version; re-wrap every environment key under it (no data rewrite).',
  args: ['name'],
  options: TENANT,
  async run(input) {
    return rotateTenantKey((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      actor: input.actor,
    })
  },
  human: (r) =>
    `Rotated to version ${r.key.currentVersion}; re-wrapped ${r.rewrapped} environment key(s)\n`,
})

export const keyRetire = defineCommand({
  name: 'key retire',
  summary: 'Disable an old key version once no environment key depends on it.',
  args: ['name'],
  options: {
    ...TENANT,
    version: { type: 'string', description: 'Version number', required: true },
  },
  async run(input) {
    const text = requiredOption(input, 'version')
    const version = Number(text)
    if (!/^[1-9][0-9]{0,8}$/.test(text)) {
      throw new AppError('VALIDATION', '--version must be a positive integer.')
    }
    return retireKeyVersion((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      version,
      actor: input.actor,
    })
  },
  human: describe,
})
