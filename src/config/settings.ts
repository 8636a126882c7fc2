import { z } from 'zod'
import { PAGE_CIPHERS } from '../storage/sqlite/open-encrypted-database.ts'

/**
 * Every setting, with its source, default and security note. docs/configuration.md is checked
 * against this list by a test, so the docs can't drift from the code.
 */
export interface SettingDoc {
  readonly name: string
  readonly source: string
  readonly type: string
  readonly default: string
  readonly note: string
}

export const SETTINGS: readonly SettingDoc[] = [
  {
    name: 'dataDir',
    source: '`--data-dir` or `STRONGROOM_DATA_DIR`',
    type: 'path',
    default: '`./data`',
    note: 'Holds every database, the vault and the keyring. Created with mode 0700.',
  },
  {
    name: 'masterKey',
    source: '`STRONGROOM_MASTER_KEY` (64 hex or 44 base64 characters)',
    type: 'secret',
    default: 'unset',
    note: 'Seals the keyring. Never accepted on the command line. Prefer a file or a secret store.',
  },
  {
    name: 'masterKeyFile',
    source: '`STRONGROOM_MASTER_KEY_FILE`',
    type: 'path',
    default: '`<dataDir>/master.key`',
    note: 'Created by `init` with mode 0600; refused if group or others can read it. Keep a copy off the machine: without it the data is unrecoverable.',
  },
  {
    name: 'logLevel',
    source: '`STRONGROOM_LOG_LEVEL`',
    type: '`debug` \\| `info` \\| `warn` \\| `error`',
    default: '`info`',
    note: 'Logs carry ids and codes, never keys or record values.',
  },
  {
    name: 'regions',
    source: '`<dataDir>/strongroom.json`',
    type: 'list of `{ name, geography }`',
    default: '`[{ "name": "local", "geography": "local" }]`',
    note: 'An environment never leaves the geography of its region.',
  },
  {
    name: 'storage.cipher',
    source: '`<dataDir>/strongroom.json`',
    type: '`aegis` \\| `chacha20` \\| `sqlcipher`',
    default: '`aegis`',
    note: 'Page cipher of new databases (AEGIS-256 by measurement, bench/README.md). Existing files keep theirs.',
  },
  {
    name: 'storage.handleCacheSize',
    source: '`<dataDir>/strongroom.json`',
    type: 'integer 1-100000',
    default: '`256`',
    note: 'Open environment databases kept per process; bounds open files and memory.',
  },
  {
    name: 'storage.pageCacheKiB',
    source: '`<dataDir>/strongroom.json`',
    type: 'integer 64-1048576',
    default: '`32768`',
    note: "Most SQLite page cache per open environment (pages are cached only as they are read, so a small environment uses only its size). Memory bound: workers × handleCacheSize × pageCacheKiB; `serve` warns when that exceeds half of the machine memory. 32 MiB keeps a 1,000,000-row table's security-filtered queries within 20 ms p99 (bench/README.md).",
  },
  {
    name: 'storage.synchronous',
    source: '`<dataDir>/strongroom.json`',
    type: '`full` \\| `normal`',
    default: '`full`',
    note: '`full` survives power loss; `normal` survives process crashes only.',
  },
  {
    name: 'storage.busyTimeoutMs',
    source: '`<dataDir>/strongroom.json`',
    type: 'integer 0-60000',
    default: '`5000`',
    note: 'How long a writer waits for another process holding the write lock.',
  },
  {
    name: 'environments.recoveryWindowDays',
    source: '`<dataDir>/strongroom.json`',
    type: 'integer 0-365',
    default: '`7`',
    note: 'A deleted environment can be recovered for this long (dataverse-spec §8); then it may be purged (crypto-shredded).',
  },
  {
    name: 'server.host',
    source: '`--host` or `<dataDir>/strongroom.json`',
    type: 'host name or IP',
    default: '`127.0.0.1`',
    note: 'Address the HTTPS server listens on. There is no plain-HTTP data endpoint.',
  },
  {
    name: 'server.port',
    source: '`--port` or `<dataDir>/strongroom.json`',
    type: 'integer 0-65535',
    default: '`8443`',
    note: '0 picks a free port (tests).',
  },
  {
    name: 'server.routing',
    source: '`<dataDir>/strongroom.json`',
    type: '`"path"` or `"host"`',
    default: '`"path"`',
    note: 'How environments are addressed: `path` → `<publicUrl>/<tenant>/<env>/`; `host` → `https://<env>.<tenant>.<publicUrl host>/` (publicUrl without a path; DNS and the certificate must cover `*.<tenant>.<host>` — the local CA issues those on demand). Identity endpoints stay at `<publicUrl>/<tenant>/oauth2`.',
  },
  {
    name: 'server.workers',
    source: '`--workers` or `<dataDir>/strongroom.json`',
    type: 'integer 1-64 or `"auto"`',
    default: '`1`',
    note: 'Server processes sharing the port (node:cluster). `"auto"`: one per CPU — use it in production (bench/README.md: the point-GET target is met with one process per core). Each has its own caches and database handles; changes made through any of them, or the CLI, are seen by all at their next request (docs/architecture.md).',
  },
  {
    name: 'server.publicUrl',
    source: '`<dataDir>/strongroom.json`',
    type: 'https URL',
    default: '`https://localhost:<port>`',
    note: 'Base of every environment URL, issuer and token endpoint that clients see.',
  },
  {
    name: 'server.certFile',
    source: '`<dataDir>/strongroom.json`',
    type: 'path',
    default: 'unset (a local CA issues a certificate for localhost)',
    note: "The operator's own certificate chain (PEM). Give keyFile with it.",
  },
  {
    name: 'server.keyFile',
    source: '`<dataDir>/strongroom.json`',
    type: 'path',
    default: 'unset',
    note: 'Private key of certFile (PEM), readable only by the service account.',
  },
  {
    name: 'keyProviders.pkcs11.modulePath',
    source: '`<dataDir>/strongroom.json`',
    type: 'absolute path',
    default: 'unset (no HSM)',
    note: "The HSM vendor's PKCS#11 module (SoftHSM2: `/usr/lib/softhsm/libsofthsm2.so`). Set it with tokenLabel to offer `--provider pkcs11` keys.",
  },
  {
    name: 'keyProviders.pkcs11.tokenLabel',
    source: '`<dataDir>/strongroom.json`',
    type: 'text, 1-32 bytes',
    default: 'unset',
    note: 'CKA_LABEL of the token that holds the keys.',
  },
  {
    name: 'keyProviders.pkcs11.pinFile',
    source: '`<dataDir>/strongroom.json` (relative to the data directory)',
    type: 'path',
    default: 'unset',
    note: 'File holding the user PIN; refused unless mode 0600 (no group or other access). Used when `STRONGROOM_PKCS11_PIN` is unset.',
  },
  {
    name: 'pkcs11Pin',
    source: '`STRONGROOM_PKCS11_PIN`',
    type: 'secret',
    default: 'unset',
    note: 'The HSM user PIN; wins over pinFile. Never accepted on the command line.',
  },
  {
    name: 'keys.healthCheckIntervalSeconds',
    source: '`<dataDir>/strongroom.json`',
    type: 'integer 1-86400',
    default: '`60`',
    note: '`serve` checks every key in use this often; a disabled or missing key locks its environments (an unreachable provider only logs a warning).',
  },
]

const REGION = z.strictObject({
  name: z.string().max(63),
  geography: z.string().min(1).max(63),
})

/** Schema of `<dataDir>/strongroom.json`. Unknown keys are rejected. */
/** The most server processes `server.workers` allows. */
export const MAX_WORKERS = 64

export const FILE_SETTINGS = z.strictObject({
  regions: z
    .array(REGION)
    .min(1)
    .max(100)
    .default([{ name: 'local', geography: 'local' }]),
  storage: z
    .strictObject({
      cipher: z.enum(PAGE_CIPHERS).default('aegis'),
      handleCacheSize: z.int().min(1).max(100_000).default(256),
      pageCacheKiB: z.int().min(64).max(1_048_576).default(32_768),
      synchronous: z.enum(['full', 'normal']).default('full'),
      busyTimeoutMs: z.int().min(0).max(60_000).default(5000),
    })
    .prefault({}),
  server: z
    .strictObject({
      host: z.string().min(1).max(255).default('127.0.0.1'),
      port: z.int().min(0).max(65_535).default(8443),
      routing: z.enum(['path', 'host']).default('path'),
      workers: z.union([z.int().min(1).max(MAX_WORKERS), z.literal('auto')]).default(1),
      publicUrl: z
        .url({ protocol: /^https$/ })
        .max(2048)
        .optional(),
      certFile: z.string().min(1).max(4096).optional(),
      keyFile: z.string().min(1).max(4096).optional(),
    })
    .prefault({}),
  environments: z
    .strictObject({
      recoveryWindowDays: z.int().min(0).max(365).default(7),
    })
    .prefault({}),
  keyProviders: z
    .strictObject({
      pkcs11: z
        .strictObject({
          modulePath: z.string().min(1).max(4096),
          tokenLabel: z.string().min(1).max(32),
          pinFile: z.string().min(1).max(4096).optional(),
        })
        .optional(),
    })
    .prefault({}),
  keys: z
    .strictObject({
      healthCheckIntervalSeconds: z.int().min(1).max(86_400).default(60),
    })
    .prefault({}),
})

export type FileSettings = z.infer<typeof FILE_SETTINGS>
