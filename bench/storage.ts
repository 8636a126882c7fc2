/**
 * Storage benchmark (issue #3). Run: npm run bench:storage [-- --envs 10000]
 *  1. Record insert/s and point read/s through the records API, encrypted (AEGIS-256) vs the
 *     same engine unencrypted, interleaved rounds, median of rounds.
 *  2. Cold open (unwrap DEK + open + migrate check + first read) p50/p99 with N environments
 *     on disk, through the full app (control plane, vault, storage, records).
 *  3. Resident memory after touching 1,000 environments, for two handle-cache sizes.
 * Ends with one line of JSON.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3-multiple-ciphers'
import { initDataDir, openStrongroom } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { createEnvironment } from '../src/control/environments/create-environment.ts'
import { createTenant } from '../src/control/tenants/create-tenant.ts'
import { createRecordsService, migrateEnvironmentDatabase } from '../src/records/index.ts'
import { systemClock } from '../src/shared/clock.ts'
import type { EnvironmentId } from '../src/shared/ids.ts'
import { silentLogger } from '../src/shared/logger.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { Secret } from '../src/shared/secret.ts'
import { createEnvironmentDatabases, type OpenDatabaseOptions } from '../src/storage/index.ts'

const { values } = parseArgs({
  options: {
    envs: { type: 'string', default: '10000' },
    rows: { type: 'string', default: '20000' },
    reads: { type: 'string', default: '40000' },
    rounds: { type: 'string', default: '10' },
  },
})
const ENVS = Number(values.envs)
const ROWS = Number(values.rows)
const READS = Number(values.reads)
const ROUNDS = Number(values.rounds)
const root = join(tmpdir(), `sr-bench-storage-${process.pid}`)
mkdirSync(root, { recursive: true })
const log = (s: string) => process.stderr.write(s + '\n')
const deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0
const round3 = (x: number) => Math.round(x * 1000) / 1000

/** The same engine without a key: for comparison only. */
function openPlain(path: string, _key: Secret, o: OpenDatabaseOptions): Database.Database {
  const db = new Database(path, { fileMustExist: !o.create })
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${o.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  db.pragma('temp_store = MEMORY')
  db.pragma('foreign_keys = ON')
  db.pragma(`cache_size = -${o.pageCacheKiB}`)
  return db
}

// ── 1. throughput through the records API ──────────────────────────────────────────────────
async function throughputSetup(kind: 'encrypted' | 'plain', synchronous: 'full' | 'normal') {
  const dir = join(root, `${kind}-${synchronous}`)
  mkdirSync(dir, { recursive: true })
  const key = cryptoRandom.bytes(32)
  const databases = createEnvironmentDatabases({
    dir,
    capacity: 4,
    cipher: 'aegis',
    pageCacheKiB: 2048,
    synchronous,
    busyTimeoutMs: 5000,
    resolveKey: () => Promise.resolve(new Secret(key.slice())),
    onOpen: migrateEnvironmentDatabase,
    ...(kind === 'plain' ? { openFile: openPlain } : {}),
  })
  const records = createRecordsService({ databases, clock: systemClock, random: cryptoRandom })
  const env = cryptoRandom.uuid() as EnvironmentId
  await databases.create(env, new Secret(key.slice()))
  const ids = await records.provisionEnvironment(env, 'bench')
  return { databases, records, env, actorId: ids.systemUserId, ids: [] as string[] }
}

async function throughput(synchronous: 'full' | 'normal', rows: number) {
  const sides = {
    encrypted: await throughputSetup('encrypted', synchronous),
    plain: await throughputSetup('plain', synchronous),
  }
  const insert: Record<string, number[]> = { encrypted: [], plain: [] }
  const read: Record<string, number[]> = { encrypted: [], plain: [] }
  const perRound = Math.max(1, Math.floor(rows / ROUNDS))
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of r % 2 === 0
      ? (['encrypted', 'plain'] as const)
      : (['plain', 'encrypted'] as const)) {
      const s = sides[kind]
      const t0 = performance.now()
      for (let i = 0; i < perRound; i++) {
        s.ids.push(
          await s.records.createRecord(
            s.env,
            'account',
            {
              name: `Account ${r}-${i}`,
              revenue: i * 10.5,
              numberofemployees: i,
              description: 'd'.repeat(400),
            },
            { actorId: s.actorId },
          ),
        )
      }
      insert[kind]?.push(perRound / ((performance.now() - t0) / 1000))
    }
  }
  const readsPerRound = Math.floor(READS / ROUNDS)
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of r % 2 === 0
      ? (['encrypted', 'plain'] as const)
      : (['plain', 'encrypted'] as const)) {
      const s = sides[kind]
      const t0 = performance.now()
      for (let i = 0; i < readsPerRound; i++) {
        await s.records.retrieveRecord(
          s.env,
          'account',
          s.ids[Math.floor((i * 7919) % s.ids.length)] ?? '',
        )
      }
      read[kind]?.push(readsPerRound / ((performance.now() - t0) / 1000))
    }
  }
  for (const s of Object.values(sides)) await s.databases.closeAll()
  const out = {
    insertPerSec: {
      encrypted: Math.round(median(insert['encrypted'] ?? [])),
      plain: Math.round(median(insert['plain'] ?? [])),
    },
    readPerSec: {
      encrypted: Math.round(median(read['encrypted'] ?? [])),
      plain: Math.round(median(read['plain'] ?? [])),
    },
  }
  return {
    ...out,
    insertRatio: round3(out.insertPerSec.encrypted / out.insertPerSec.plain),
    readRatio: round3(out.readPerSec.encrypted / out.readPerSec.plain),
  }
}

log(`throughput (synchronous=normal, ${ROWS} rows, ${READS} reads, ${ROUNDS} rounds)…`)
const tpNormal = await throughput('normal', ROWS)
log(JSON.stringify(tpNormal))
log('throughput (synchronous=full, the default)…')
const tpFull = await throughput('full', Math.min(ROWS, 1000))
log(JSON.stringify(tpFull))

// ── 2. cold open with many environments on disk ────────────────────────────────────────────
const dataDir = join(root, 'app')
async function openApp(capacity: number) {
  const config = {
    ...loadConfig({ env: { STRONGROOM_MASTER_KEY: 'ab'.repeat(32) }, dataDir, cwd: root }),
  }
  return openStrongroom(
    { ...config, storage: { ...config.storage, handleCacheSize: capacity } },
    deps,
  )
}
await initDataDir(
  loadConfig({ env: { STRONGROOM_MASTER_KEY: 'ab'.repeat(32) }, dataDir, cwd: root }),
  deps,
)
let app = await openApp(256)
await createTenant(app.control, { name: 'bench', actor: 'bench' })
const envIds: EnvironmentId[] = []
const tCreate = performance.now()
for (let i = 0; i < ENVS; i++) {
  const env = await createEnvironment(app.control, {
    tenant: 'bench',
    name: `env-${i}`,
    actor: 'bench',
  })
  envIds.push(env.id)
  if (i % 1000 === 999) log(`  ${i + 1} environments…`)
}
const createMs = (performance.now() - tCreate) / ENVS
await app.close()

app = await openApp(256)
const cold: number[] = []
const sample = Math.min(1000, ENVS)
for (let i = 0; i < sample; i++) {
  const id = envIds[Math.floor((i * 104729) % envIds.length)] as EnvironmentId
  app.databases.evict(id)
  const t0 = performance.now()
  await app.records.retrieveRecord(
    id,
    'businessunit',
    (await app.records.readProvisionedIds(id)).businessUnitId,
  )
  cold.push(performance.now() - t0)
}
const coldOpen = { p50: round3(pct(cold, 50)), p99: round3(pct(cold, 99)), samples: sample }
log(`cold open ms ${JSON.stringify(coldOpen)} (environment create ${createMs.toFixed(1)} ms each)`)
await app.close()

// ── 3. memory with 1,000 environments touched ──────────────────────────────────────────────
async function memory(capacity: number) {
  const a = await openApp(capacity)
  gc()
  const before = process.memoryUsage().rss
  const touch = Math.min(1000, ENVS)
  for (let i = 0; i < touch; i++) {
    const id = envIds[i] as EnvironmentId
    const q = await a.records.queryRecords(id, 'systemuser', { count: false })
    if (q.records.length === 0) throw new Error('no rows')
  }
  gc()
  const after = process.memoryUsage().rss
  const open = a.databases.openCount
  await a.close()
  return {
    capacity,
    touched: touch,
    openHandles: open,
    rssMiB: Math.round(after / 1048576),
    rssGrowthMiB: Math.round((after - before) / 1048576),
  }
}
const mem64 = await memory(64)
const mem256 = await memory(256)
log(`memory ${JSON.stringify(mem64)} ${JSON.stringify(mem256)}`)

rmSync(root, { recursive: true, force: true })
process.stdout.write(
  JSON.stringify({
    bench: 'storage',
    cipher: 'aegis',
    throughputSyncNormal: tpNormal,
    throughputSyncFull: tpFull,
    coldOpenMs: { ...coldOpen, environmentsOnDisk: ENVS },
    environmentCreateMs: round3(createMs),
    memory: [mem64, mem256],
    targets: {
      ratioAtLeast: 0.85,
      readRatioMet: tpNormal.readRatio >= 0.85,
      insertRatioMet: tpNormal.insertRatio >= 0.85,
      coldOpenP50AtMostMs: 5,
      coldOpenMet: coldOpen.p50 <= 5,
    },
  }) + '\n',
)
