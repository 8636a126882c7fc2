import { openSync, closeSync, fstatSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { createTenantKey } from '../../control/keys/create-tenant-key.ts'
import { importTenantKey } from '../../control/keys/import-tenant-key.ts'
import { restoreTenantKey } from '../../control/keys/restore-tenant-key.ts'
import { revokeTenantKey } from '../../control/keys/revoke-tenant-key.ts'
import {
  describeTenantKey,
  listTenantKeys,
  retireKeyVersion,
  rotateTenantKey,
  type TenantKey,
} from '../../control/keys/tenant-keys.ts'
import { MAX_PFX_BYTES } from '../../keys/byok/index.ts'
import { AppError } from '../../shared/errors.ts'
import { Secret } from '../../shared/secret.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'

const TENANT = { tenant: { type: 'string', description: 'Tenant name', required: true } } as const

const describe = (k: TenantKey): string =>
  `${k.name}: ${k.type}, provider ${k.provider}, ${k.managedBy}-managed, current version ${k.currentVersion} (${k.status})\n` +
  formatTable(
    k.versions.map((v) => ({
      ...v,
      current: v.current ? 'yes' : '',
      environments: v.environmentNames.join(','),
    })),
    ['version', 'status', 'current', 'environments', 'createdAt'],
  )

/** Reads the PFX file named by --pfx, refusing anything over the upload limit unread. */
function readPfx(input: CommandInput): Uint8Array {
  const file = resolve(input.io.cwd, requiredOption(input, 'pfx'))
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (cause) {
    throw new AppError('USAGE', "The --pfx file can't be opened.", { cause })
  }
  try {
    const size = fstatSync(fd).size
    if (size > MAX_PFX_BYTES) {
      throw new AppError('KEY_IMPORT_INVALID', 'The key file was refused: it is over 64 KiB.')
    }
    const bytes = new Uint8Array(size)
    const n = readSync(fd, bytes, 0, size, 0)
    return bytes.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** The PFX password: all of stdin without its trailing newline. Never an argument. */
async function readPassword(input: CommandInput): Promise<Secret> {
  const text = (await input.io.readStdin()).replace(/\r?\n$/, '')
  if (text.length === 0) {
    throw new AppError('USAGE', 'Give the PFX password on standard input (never as an argument).')
  }
  if (text.length > 1024) throw new AppError('USAGE', 'The PFX password is over 1024 characters.')
  return new Secret(new TextEncoder().encode(text))
}

export const keyCreate = defineCommand({
  name: 'key create',
  summary: 'Create a customer-managed key in the local vault or the HSM (--provider local|pkcs11).',
  args: ['name'],
  options: {
    ...TENANT,
    provider: { type: 'string', description: 'local or pkcs11', required: true },
    type: {
      type: 'string',
      description:
        'rsa-2048|rsa-3072|rsa-4096|aes-256 (default rsa-2048 in pkcs11, aes-256 in local)',
    },
  },
  async run(input) {
    return createTenantKey((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      provider: requiredOption(input, 'provider'),
      type: stringOption(input, 'type'),
      actor: input.actor,
    })
  },
  human: describe,
})

export const keyImport = defineCommand({
  name: 'key import',
  summary:
    'Import a customer key from a PFX file, or a new version of an uploaded key of that name (password on stdin).',
  args: ['name'],
  options: {
    ...TENANT,
    pfx: { type: 'string', description: 'PKCS#12/PFX file with one RSA key', required: true },
  },
  async run(input) {
    const pfx = readPfx(input)
    const password = await readPassword(input)
    try {
      return await importTenantKey((await input.app()).control, {
        tenant: requiredOption(input, 'tenant'),
        name: input.args['name'] ?? '',
        pfx,
        password,
        actor: input.actor,
      })
    } finally {
      password.dispose()
      pfx.fill(0)
    }
  },
  human: describe,
})

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

export const keyRevoke = defineCommand({
  name: 'key revoke',
  summary: 'Disable a customer key in its provider; every environment under it locks at once.',
  args: ['name'],
  options: TENANT,
  async run(input) {
    return revokeTenantKey((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      actor: input.actor,
    })
  },
  human: (r) =>
    `Revoked ${r.key.name}: disabled version(s) ${r.disabledVersions.join(', ') || '(none)'}; locked ${r.lockedEnvironments.length} environment(s): ${r.lockedEnvironments.join(', ')}\n`,
})

export const keyRestore = defineCommand({
  name: 'key restore',
  summary: 'Re-enable a revoked customer key; environments stay locked until `env unlock`.',
  args: ['name'],
  options: TENANT,
  async run(input) {
    return restoreTenantKey((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      actor: input.actor,
    })
  },
  human: (r) =>
    `Restored ${r.key.name}: enabled version(s) ${r.enabledVersions.join(', ') || '(none)'}` +
    (r.destroyedVersions.length > 0 ? `; destroyed: ${r.destroyedVersions.join(', ')}` : '') +
    `; still locked (run env unlock): ${r.lockedEnvironments.join(', ') || '(none)'}\n`,
})
