import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIG_FILE, defaultFileSettings, readSecret, type Config } from './config/index.ts'
import type { ControlContext } from './control/context.ts'
import { assertUsable, findEnvironment } from './control/environments/environment.ts'
import { resolveEnvironmentKey } from './control/environments/resolve-environment-key.ts'
import { resolveFieldKey } from './control/environments/resolve-field-key.ts'
import { findTenant } from './control/tenants/find-tenant.ts'
import { openControlDb } from './control/open-control-db.ts'
import { deriveKey } from './crypto/index.ts'
import {
  createIdentityService,
  IDENTITY_SEALING_PURPOSE,
  type IdentityService,
} from './identity/index.ts'
import type { KeyProvider } from './keys/key-provider.ts'
import { createKeyring, openKeyring } from './keys/keyring.ts'
import { openByokProvider } from './keys/byok/index.ts'
import { openLocalVault } from './keys/local-vault/index.ts'
import { openPkcs11Provider } from './keys/pkcs11/index.ts'
import { createMasterKeyFile, parseMasterKey, readMasterKeyFile } from './keys/master-key.ts'
import {
  createRecordsService,
  migrateEnvironmentDatabase,
  type RecordsService,
} from './records/index.ts'
import type { Clock } from './shared/clock.ts'
import { AppError } from './shared/errors.ts'
import type { EnvironmentId } from './shared/ids.ts'
import type { Logger } from './shared/logger.ts'
import type { Random } from './shared/random.ts'
import type { Secret } from './shared/secret.ts'
import { createEnvironmentDatabases, type EnvironmentDatabases } from './storage/index.ts'

export interface Deps {
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
}

/** Files of a data directory. Environment files are named by id, never by a user's name. */
export function dataPaths(dataDir: string) {
  return {
    keyring: join(dataDir, 'keyring.json'),
    vault: join(dataDir, 'vault.db'),
    byok: join(dataDir, 'byok.db'),
    control: join(dataDir, 'control.db'),
    environments: join(dataDir, 'environments'),
    settings: join(dataDir, CONFIG_FILE),
  }
}

export interface Strongroom {
  readonly config: Config
  readonly control: ControlContext
  readonly records: RecordsService
  readonly databases: EnvironmentDatabases
  /** The built-in identity provider, the token verifier and application users. */
  readonly identity: IdentityService
  /**
   * A 256-bit key for sealing one kind of service secret at rest (TLS private keys, identity
   * signing keys, …), derived from the control-plane key: HKDF(control key, install id,
   * 'strongroom/seal/<purpose>/v1'). Each call returns a fresh Secret; dispose it after use.
   */
  sealingKey(purpose: string): Secret
  close(): Promise<void>
}

/**
 * The key providers beside the local vault: the uploaded-key (BYOK) store, always (`byok.db`,
 * opened with a key derived from the vault key), and a PKCS#11 HSM when `keyProviders.pkcs11`
 * is configured (PIN from STRONGROOM_PKCS11_PIN or a 0600 pin file). The HSM isn't contacted
 * until first use. On failure, what was opened is closed again.
 * @throws KEY_PROVIDER_INVALID, VAULT_CORRUPT
 */
function openConfiguredProviders(
  config: Config,
  keyring: { vault: Secret; installId: string },
  deps: Deps,
): KeyProvider[] {
  const opened: KeyProvider[] = []
  try {
    const sealingKey = deriveKey(
      keyring.vault,
      new TextEncoder().encode(keyring.installId),
      'strongroom/byok/store/v1',
    )
    try {
      opened.push(
        openByokProvider({
          path: dataPaths(config.dataDir).byok,
          sealingKey,
          random: deps.random,
          clock: deps.clock,
        }),
      )
    } finally {
      sealingKey.dispose()
    }
    const hsm = config.keyProviders.pkcs11
    if (hsm !== undefined) {
      if (config.pkcs11Pin === undefined) {
        throw new AppError(
          'KEY_PROVIDER_INVALID',
          'keyProviders.pkcs11 needs a PIN: set STRONGROOM_PKCS11_PIN or keyProviders.pkcs11.pinFile.',
        )
      }
      const pin = readSecret(config.pkcs11Pin, 'PKCS#11 PIN', 'KEY_PROVIDER_INVALID')
      try {
        const provider = openPkcs11Provider({
          modulePath: hsm.modulePath,
          tokenLabel: hsm.tokenLabel,
          pin,
          random: deps.random,
          clock: deps.clock,
          logger: deps.logger,
        })
        // The session logs in again with the PIN after a token reset: keep it until close.
        opened.push({
          ...provider,
          close: () => {
            provider.close()
            pin.dispose()
          },
        })
      } catch (e) {
        pin.dispose()
        throw e
      }
    }
    return opened
  } catch (e) {
    for (const p of opened) p.close()
    throw e
  }
}

function loadMasterKey(config: Config): Secret {
  return config.masterKey.kind === 'value'
    ? parseMasterKey(config.masterKey.text)
    : readMasterKeyFile(config.masterKey.path)
}

/**
 * Initialises a data directory: master key (a 0600 file unless one is supplied), settings file,
 * keyring, key vault, control plane. On failure, what this call created is removed again.
 * @throws ALREADY_EXISTS when the directory is already initialised
 */
export async function initDataDir(
  config: Config,
  deps: Deps,
): Promise<{ masterKeyFile: string | null }> {
  const paths = dataPaths(config.dataDir)
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  if (existsSync(paths.keyring)) {
    throw new AppError('ALREADY_EXISTS', 'The data directory is already initialised.')
  }
  const created: string[] = []
  let masterKeyFile: string | null = null
  try {
    let master: Secret
    if (config.masterKey.kind === 'value') {
      master = parseMasterKey(config.masterKey.text)
    } else if (existsSync(config.masterKey.path)) {
      master = readMasterKeyFile(config.masterKey.path)
    } else {
      master = createMasterKeyFile(config.masterKey.path, deps.random)
      created.push(config.masterKey.path)
      masterKeyFile = config.masterKey.path
    }
    if (!existsSync(paths.settings)) {
      writeFileSync(paths.settings, JSON.stringify(defaultFileSettings(), null, 2) + '\n', {
        mode: 0o644,
        flag: 'wx',
      })
      created.push(paths.settings)
    }
    for (const stale of [paths.vault, paths.control]) {
      if (existsSync(stale)) {
        throw new AppError('DATA_DIR_INVALID', 'The data directory holds databases but no keyring.')
      }
    }
    const keyring = createKeyring(paths.keyring, master, deps.random, deps.clock)
    created.push(paths.keyring, paths.vault, paths.control)
    master.dispose()
    const vault = openLocalVault({
      path: paths.vault,
      key: keyring.vault,
      random: deps.random,
      clock: deps.clock,
    })
    vault.close()
    const control = await openControlDb(paths.control, keyring.control, {
      create: true,
      cipher: config.storage.cipher,
      regions: config.regions,
      now: deps.clock.now().toISOString(),
    })
    control.close()
    mkdirSync(paths.environments, { recursive: true, mode: 0o700 })
  } catch (e) {
    for (const file of created) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
    }
    throw e
  }
  deps.logger.log('info', 'datadir.initialised', { dataDir: config.dataDir })
  return { masterKeyFile }
}

/**
 * Opens an initialised data directory and wires every domain. The caller owns the result and
 * must `close()` it.
 * @throws DATA_DIR_NOT_INITIALISED, MASTER_KEY_MISSING, MASTER_KEY_INVALID, MASTER_KEY_MISMATCH,
 *   KEYRING_CORRUPT, VAULT_CORRUPT, CONTROL_PLANE_CORRUPT
 */
export async function openStrongroom(config: Config, deps: Deps): Promise<Strongroom> {
  const paths = dataPaths(config.dataDir)
  if (!existsSync(paths.keyring)) {
    throw new AppError('DATA_DIR_NOT_INITIALISED', 'The data directory has not been initialised.')
  }
  const master = loadMasterKey(config)
  const keyring = (() => {
    try {
      return openKeyring(paths.keyring, master)
    } finally {
      master.dispose()
    }
  })()
  if (!existsSync(paths.vault)) {
    throw new AppError('VAULT_CORRUPT', 'The key vault file is missing.')
  }
  const vault = openLocalVault({
    path: paths.vault,
    key: keyring.vault,
    random: deps.random,
    clock: deps.clock,
  })
  const closers: (() => void)[] = [
    () => {
      vault.close()
    },
  ]
  try {
    const controlDb = await openControlDb(paths.control, keyring.control, {
      create: false,
      cipher: config.storage.cipher,
      regions: config.regions,
      now: deps.clock.now().toISOString(),
    })
    closers.push(controlDb.close)
    const providers = new Map<string, KeyProvider>([[vault.kind, vault]])
    for (const provider of openConfiguredProviders(config, keyring, deps)) {
      closers.push(() => {
        provider.close()
      })
      providers.set(provider.kind, provider)
    }

    // The control context and the storage layer refer to each other (storage asks control for
    // a DEK on cold open; control asks storage to create and evict files): the closure below
    // reads `control`, which is declared after; it is only called once both exist.
    const databases = createEnvironmentDatabases({
      dir: paths.environments,
      capacity: config.storage.handleCacheSize,
      cipher: config.storage.cipher,
      pageCacheKiB: config.storage.pageCacheKiB,
      synchronous: config.storage.synchronous,
      busyTimeoutMs: config.storage.busyTimeoutMs,
      resolveKey: (id: EnvironmentId) => resolveEnvironmentKey(control, id),
      resolveFieldKey: (id: EnvironmentId) => resolveFieldKey(control, id),
      onOpen: (db) => migrateEnvironmentDatabase(db, deps.clock),
    })
    const records = createRecordsService({ databases, clock: deps.clock, random: deps.random })
    const control: ControlContext = {
      db: controlDb.db,
      stamp: controlDb.stamp,
      providers,
      databases,
      provisionEnvironment: async ({ environmentId, organizationName }) => {
        await records.provisionEnvironment(environmentId as EnvironmentId, organizationName)
      },
      regions: config.regions,
      recoveryWindowDays: config.environments.recoveryWindowDays,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
    }
    const sealRoot = deriveKey(
      keyring.control,
      new TextEncoder().encode(keyring.installId),
      'strongroom/seal-root/v1',
    )
    closers.push(() => {
      sealRoot.dispose()
    })
    // The same derivation as sealingKey(IDENTITY_SEALING_PURPOSE), held while the app is open.
    const identitySealKey = deriveKey(
      sealRoot,
      new Uint8Array(0),
      `strongroom/seal/${IDENTITY_SEALING_PURPOSE}/v1`,
    )
    closers.push(() => {
      identitySealKey.dispose()
    })
    const identity = createIdentityService({
      db: controlDb.db,
      sealKey: identitySealKey,
      publicUrl: config.server.publicUrl ?? `https://localhost:${String(config.server.port)}`,
      routing: config.server.routing,
      directory: {
        findTenant: async (name) => {
          const tenant = await findTenant(control, name)
          return { id: tenant.id, name: tenant.name }
        },
        findEnvironment: async (tenant, name) => {
          const env = await findEnvironment(control, tenant, name)
          assertUsable(env)
          return {
            tenantId: env.tenantId,
            tenantName: env.tenant,
            environmentId: env.id,
            environmentName: env.name,
          }
        },
      },
      records,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
    })
    return {
      config,
      control,
      records,
      databases,
      identity,
      sealingKey(purpose: string) {
        if (!/^[a-z0-9-]{1,64}$/.test(purpose)) throw new RangeError('invalid sealing purpose')
        return deriveKey(sealRoot, new Uint8Array(0), `strongroom/seal/${purpose}/v1`)
      },
      async close() {
        await databases.closeAll()
        for (const close of [...closers].reverse()) close()
        closers.length = 0
      },
    }
  } catch (e) {
    for (const close of [...closers].reverse()) close()
    throw e
  } finally {
    // SQLite holds what it needs; our copies of the database keys go now.
    keyring.control.dispose()
    keyring.vault.dispose()
  }
}
