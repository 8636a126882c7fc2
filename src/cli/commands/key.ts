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
import { tenantExchangeKey } from '../../control/keys/tenant-exchange-key.ts'
import { MAX_PFX_BYTES, MAX_TRANSFER_FILE_BYTES } from '../../keys/byok/index.ts'
import { AppError } from '../../shared/errors.ts'
import { Secret } from '../../shared/secret.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'

const TENANT = { tenant: { type: 'string', description: 'Tenant name', required: true } } as const

const describe = (k: TenantKey): string =>
  `${k.name}: ${k.type}, provider ${k.provider}, ${k.managedBy}-managed, current version ${k.currentVersion} (${k.status})\n` +
  (k.health === null
    ? ''
    : `health: ${k.health.state} since ${k.health.since} (checked ${k.health.checkedAt})\n`) +
  k.warnings.map((w) => `warning: ${w.message}\n`).join('') +
  formatTable(
    k.versions.map((v) => ({
      ...v,
      current: v.current ? 'yes' : '',
      environments: v.environmentNames.join(','),
      expiresAt: v.expiresAt ?? '',
    })),
    ['version', 'status', 'current', 'environments', 'createdAt', 'expiresAt'],
  )

/** Reads the key file named by --<option>, refusing anything over the upload limit unread. */
function readKeyFile(input: CommandInput, option: 'pfx' | 'wrapped', max: number): Uint8Array {
  const file = resolve(input.io.cwd, requiredOption(input, option))
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (cause) {
    throw new AppError('USAGE', `The --${option} file can't be opened.`, { cause })
  }
  try {
    const size = fstatSync(fd).size
    if (size > max) {
      throw new AppError(
        'KEY_IMPORT_INVALID',
        `The key file was refused: it is over ${String(max / 1024)} KiB.`,
      )
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

const OAEP_HASHES = ['sha-256', 'sha-1'] as const

/** The key import from an HSM-wrapped blob (`--wrapped FILE [--kek-id ID --oaep-hash H]`). */
async function importWrapped(input: CommandInput): Promise<TenantKey> {
  const kekId = stringOption(input, 'kek-id')
  const hash = stringOption(input, 'oaep-hash')
  if (hash !== undefined && kekId === undefined) {
    throw new AppError(
      'USAGE',
      '--oaep-hash goes with --kek-id (a bare blob); a key transfer file names its own.',
    )
  }
  const oaepHash = OAEP_HASHES.find((h) => h === hash)
  if (hash !== undefined && oaepHash === undefined) {
    throw new AppError('USAGE', '--oaep-hash must be sha-256 or sha-1.')
  }
  const file = readKeyFile(input, 'wrapped', MAX_TRANSFER_FILE_BYTES)
  try {
    return await importTenantKey((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      name: input.args['name'] ?? '',
      wrapped: { file, kekId, oaepHash },
      actor: input.actor,
    })
  } finally {
    file.fill(0)
  }
}

export const keyImport = defineCommand({
  name: 'key import',
  summary:
    'Import a customer key from a PFX file (password on stdin) or an HSM-wrapped blob (--wrapped), or a new version of an uploaded key of that name.',
  args: ['name'],
  options: {
    ...TENANT,
    pfx: { type: 'string', description: 'PKCS#12/PFX file with one RSA key' },
    wrapped: {
      type: 'string',
      description:
        'Key transfer file (JSON) or bare blob wrapped by your HSM with CKM_RSA_AES_KEY_WRAP for the tenant exchange key',
    },
    'kek-id': {
      type: 'string',
      description: 'With a bare --wrapped blob: the exchange key id it was wrapped for',
    },
    'oaep-hash': {
      type: 'string',
      description: 'With a bare --wrapped blob: sha-256 (default) or sha-1',
    },
  },
  async run(input) {
    const hasPfx = stringOption(input, 'pfx') !== undefined
    const hasWrapped = stringOption(input, 'wrapped') !== undefined
    if (hasPfx === hasWrapped) {
      throw new AppError('USAGE', 'Give exactly one of --pfx FILE and --wrapped FILE.')
    }
    if (hasWrapped) return importWrapped(input)
    const pfx = readKeyFile(input, 'pfx', MAX_PFX_BYTES)
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

export const keyExchangeKey = defineCommand({
  name: 'key exchange-key',
  summary:
    "The tenant's key-exchange key (RSA-3072 public key, PEM) to wrap a key for `key import --wrapped`.",
  args: [],
  options: TENANT,
  async run(input) {
    return tenantExchangeKey((await input.app()).control, {
      tenant: requiredOption(input, 'tenant'),
      actor: input.actor,
    })
  },
  human: (k) =>
    `Key-exchange key ${k.kekId} (${k.type}), valid until ${k.expiresAt}; wrap with ${k.mechanism} (RSA-OAEP SHA-256 + AES key wrap with padding) and import before then.\n${k.publicKeyPem}`,
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
    formatTable(
      keys.map((k) => ({
        ...k,
        health: k.health?.state ?? '',
        warnings: k.warnings.map((w) => w.code).join(','),
      })),
      ['name', 'type', 'provider', 'managedBy', 'currentVersion', 'keyId', 'health', 'warnings'],
    ),
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
