/**
 * Web API benchmark (issue #4). Run: npm run bench:api [-- --seconds 10 --connections 50]
 * Starts `strongroom serve` in its own process and drives it over HTTPS with keep-alive from a
 * second process (autocannon): point GET by id, create, and a query ($filter + $top=50) on a
 * table of 100,000 rows. Then the same requests against the floor server (bench/floor-server)
 * serving the same SQLite file with no TLS, no auth and no checks. One JSON line at the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initDataDir, openStrongroom } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { createEnvironment } from '../src/control/environments/create-environment.ts'
import { resolveEnvironmentKey } from '../src/control/environments/resolve-environment-key.ts'
import { createTenant } from '../src/control/tenants/create-tenant.ts'
import { systemClock } from '../src/shared/clock.ts'
import { silentLogger } from '../src/shared/logger.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import {
  clientCredentialsToken,
  freePort,
  loadWithCpu,
  startChild,
  stopChild,
} from './serve-load.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: 'get,query,create' },
    // Point GET again with `serve --workers N` for each N > 1 listed (1 is the main run).
    workers: { type: 'string', default: '2' },
    // The load generator: autocannon (JavaScript, one thread) or wrk (C, one thread).
    tool: { type: 'string', default: 'autocannon' },
  },
})
const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100)
const ROWS = Number(values.rows)
const SECONDS = Number(values.seconds)
const CONNECTIONS = Number(values.connections)
const log = (s: string) => process.stderr.write(s + '\n')
const deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }
const root = mkdtempSync(join(tmpdir(), 'sr-bench-api-'))
const dataDir = join(root, 'data')
const BIN = resolve('build/src/cli/main.js')

// ── setup: data directory, tenant, environment, application user, 100,000 accounts ──
const masterEnv = {
  STRONGROOM_MASTER_KEY: cryptoRandom
    .bytes(32)
    .reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
}
const port = await freePort()
const config0 = loadConfig({ env: masterEnv, dataDir, cwd: root })
await initDataDir(config0, deps)
const settingsFile = join(dataDir, 'strongroom.json')
const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
  server: Record<string, unknown>
}
settings.server['port'] = port
writeFileSync(settingsFile, JSON.stringify(settings))
const config = loadConfig({ env: masterEnv, dataDir, cwd: root })
const app = await openStrongroom(config, deps)
await createTenant(app.control, { name: 'bench', actor: 'bench' })
const env = await createEnvironment(app.control, { tenant: 'bench', name: 'prod', actor: 'bench' })
const ids = await app.records.readProvisionedIds(env.id)
const client = await app.identity.createApplicationUser({
  tenant: 'bench',
  environment: 'prod',
  name: 'bench',
  role: 'System Administrator',
})
log(`seeding ${String(ROWS)} accounts…`)
const t0 = performance.now()
const sample: string[] = []
for (let done = 0; done < ROWS; done += 1000) {
  await app.records.transaction(env.id, async (tx) => {
    for (let i = done; i < Math.min(ROWS, done + 1000); i++) {
      const id = await tx.createRecord(
        env.id,
        'account',
        {
          name: `Account ${String(i).padStart(6, '0')}`,
          revenue: i * 3.5,
          numberofemployees: i % 5000,
        },
        { actorId: ids.systemUserId },
      )
      if (i % 100 === 0) sample.push(id)
    }
  })
}
log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
const dek = await resolveEnvironmentKey(app.control, env.id)
const keyHex = Buffer.from(dek.expose()).toString('hex')
dek.dispose()
const dbFile = app.databases.pathOf(env.id)
// The floor caches as many pages as the server does.
const cacheArgs = ['--cache-kib', String(app.config.storage.pageCacheKiB)]
await app.close()

// ── the full stack ──
const profile = process.argv.includes('--profile')
  ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sr-prof']
  : []
const server = await startChild(
  [...profile, BIN, 'serve', '--json', '--data-dir', dataDir],
  null,
  masterEnv,
)
const baseUrl = String(server.ready['baseUrl'])
const caFile = String(server.ready['caCertFile'])
const ca = readFileSync(caFile, 'utf8')
const token = await clientCredentialsToken(client, ca)
const api = `${baseUrl}/bench/prod/api/data/v9.2/`
const auth = {
  authorization: `Bearer ${token}`,
  accept: 'application/json',
  'odata-version': '4.0',
}
const tls = { NODE_EXTRA_CA_CERTS: caFile }
if (process.env['BENCH_SHOW_RESPONSE'] === '1') {
  await new Promise<void>((res) => {
    const r = request(`${api}accounts(${sample[0] ?? ''})`, { ca, headers: auth }, (resp) => {
      let n = 0
      resp.on('data', (d: Buffer) => (n += d.length))
      resp.on('end', () => {
        log(JSON.stringify({ status: resp.statusCode, headers: resp.rawHeaders, bytes: n }))
        res()
      })
    })
    r.end()
  })
}
if (values.tool !== 'autocannon' && values.tool !== 'wrk') throw new Error('--tool autocannon|wrk')
const common = { connections: CONNECTIONS, seconds: SECONDS, tool: values.tool }
const phases = new Set(values.only.split(','))
const skipped = { rps: 0, p50: 0, p99: 0 }
log('full stack: point GET…')
const fullGet = !phases.has('get')
  ? skipped
  : await loadWithCpu(
      { ...common, url: `${api}accounts(`, suffix: ')', method: 'GET', headers: auth, ids: sample },
      tls,
      server.child.pid,
    )
log(JSON.stringify(fullGet))
log('full stack: query…')
const fullQuery = !phases.has('query')
  ? skipped
  : await loadWithCpu(
      {
        ...common,
        url: `${api}accounts?$select=name,revenue&$filter=contains(name,'99')&$top=50`,
        method: 'GET',
        headers: auth,
      },
      tls,
      server.child.pid,
    )
log(JSON.stringify(fullQuery))
log('full stack: create…')
const fullCreate = !phases.has('create')
  ? skipped
  : await loadWithCpu(
      {
        ...common,
        url: `${api}accounts`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Created by bench' }),
      },
      tls,
      server.child.pid,
    )
log(JSON.stringify(fullCreate))
await stopChild(server.child)

// ── the full stack again with worker processes sharing the port (serve --workers N) ──
const workerCounts = values.workers
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 1)
const withWorkers: Record<string, Record<string, number>> = {}
for (const n of workerCounts) {
  if (!phases.has('get')) break
  const pool = await startChild(
    [BIN, 'serve', '--json', '--workers', String(n), '--data-dir', dataDir],
    null,
    masterEnv,
  )
  log(`full stack, ${String(n)} workers: point GET…`)
  withWorkers[String(n)] = await loadWithCpu(
    { ...common, url: `${api}accounts(`, suffix: ')', method: 'GET', headers: auth, ids: sample },
    tls,
    pool.child.pid,
  )
  log(JSON.stringify(withWorkers[String(n)]))
  await stopChild(pool.child)
}

// ── the floor ──
const floor = await startChild(
  [resolve('build/bench/floor-server.js'), ...cacheArgs],
  `${dbFile}\n${keyHex}\n`,
  {},
)
const floorUrl = `http://127.0.0.1:${String(floor.ready['port'])}/`
log('floor: point GET…')
const floorGet = !phases.has('get')
  ? skipped
  : await loadWithCpu(
      { ...common, url: `${floorUrl}accounts/`, method: 'GET', headers: {}, ids: sample },
      {},
      floor.child.pid,
    )
log(JSON.stringify(floorGet))
const floorQuery = !phases.has('query')
  ? skipped
  : await loadWithCpu(
      { ...common, url: `${floorUrl}accounts?q=99`, method: 'GET', headers: {} },
      {},
      floor.child.pid,
    )
log(JSON.stringify(floorQuery))
const floorCreate = !phases.has('create')
  ? skipped
  : await loadWithCpu(
      {
        ...common,
        url: `${floorUrl}accounts`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Created by bench',
          owner: ids.systemUserId,
          bu: ids.businessUnitId,
        }),
      },
      {},
      floor.child.pid,
    )
log(JSON.stringify(floorCreate))
await stopChild(floor.child)

// ── the floor over TLS: the same bare server, with TLS on both sides (what TLS alone costs) ──
const credentials = JSON.parse(readFileSync(join(dataDir, 'tls', 'local-ca.json'), 'utf8')) as {
  serverCert: string
}
const tlsKey = await (async () => {
  const a = await openStrongroom(config, deps)
  try {
    const { loadOrCreateLocalCa } = await import('../src/api/tls/local-ca.ts')
    const seal = a.sealingKey('tls')
    const c = await loadOrCreateLocalCa(join(dataDir, 'tls'), seal, deps)
    seal.dispose()
    return c.keyPem
  } finally {
    await a.close()
  }
})()
const tlsFloor = await startChild(
  [resolve('build/bench/floor-server.js'), ...cacheArgs],
  `${dbFile}\n${keyHex}\n${Buffer.from(credentials.serverCert).toString('base64')}\n${Buffer.from(tlsKey).toString('base64')}\n`,
  {},
)
const tlsFloorUrl = `https://localhost:${String(tlsFloor.ready['port'])}/`
log('TLS floor: point GET…')
const tlsFloorGet = !phases.has('get')
  ? skipped
  : await loadWithCpu(
      { ...common, url: `${tlsFloorUrl}accounts/`, method: 'GET', headers: {}, ids: sample },
      tls,
      tlsFloor.child.pid,
    )
log(JSON.stringify(tlsFloorGet))
await stopChild(tlsFloor.child)

// ── both floors again with N processes (node:cluster), as the full stack ran with workers ──
const floorWorkers: Record<string, { plain: Record<string, number>; tls: Record<string, number> }> =
  {}
for (const n of workerCounts) {
  if (!phases.has('get')) break
  const run = async (input: string, url: string, extra: Record<string, string>) => {
    const f = await startChild(
      [resolve('build/bench/floor-server.js'), '--workers', String(n), ...cacheArgs],
      input,
      {},
    )
    const base = `${url}${String(f.ready['port'])}/accounts/`
    const r = await loadWithCpu(
      { ...common, url: base, method: 'GET', headers: {}, ids: sample },
      extra,
      f.child.pid,
    )
    await stopChild(f.child)
    return r
  }
  log(`floor, ${String(n)} workers: point GET…`)
  const plain = await run(`${dbFile}\n${keyHex}\n`, 'http://127.0.0.1:', {})
  log(JSON.stringify(plain))
  log(`TLS floor, ${String(n)} workers: point GET…`)
  const overTls = await run(
    `${dbFile}\n${keyHex}\n${Buffer.from(credentials.serverCert).toString('base64')}\n${Buffer.from(tlsKey).toString('base64')}\n`,
    'https://localhost:',
    tls,
  )
  log(JSON.stringify(overTls))
  floorWorkers[String(n)] = { plain, tls: overTls }
}
rmSync(root, { recursive: true, force: true })

const ratio = (a: Record<string, number>, b: Record<string, number>) =>
  Math.round(((a['rps'] ?? 0) / (b['rps'] ?? 1)) * 1000) / 1000
process.stdout.write(
  JSON.stringify({
    bench: 'api',
    rows: ROWS,
    connections: CONNECTIONS,
    seconds: SECONDS,
    fullStack: { pointGet: fullGet, query: fullQuery, create: fullCreate },
    fullStackWorkers: Object.fromEntries(
      Object.entries(withWorkers).map(([n, r]) => [n, { pointGet: r }]),
    ),
    floor: { pointGet: floorGet, query: floorQuery, create: floorCreate },
    tlsFloor: { pointGet: tlsFloorGet },
    floorWorkers: Object.fromEntries(
      Object.entries(floorWorkers).map(([n, r]) => [n, { pointGet: r.plain, tlsPointGet: r.tls }]),
    ),
    tool: values.tool,
    loadAverageAtStart: loadAtStart,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    ratios: {
      pointGet: ratio(fullGet, floorGet),
      query: ratio(fullQuery, floorQuery),
      create: ratio(fullCreate, floorCreate),
      pointGetToTlsFloor: ratio(fullGet, tlsFloorGet),
      tlsFloorToFloor: ratio(tlsFloorGet, floorGet),
      pointGetWorkers: Object.fromEntries(
        Object.entries(withWorkers).map(([n, r]) => [n, ratio(r, floorGet)]),
      ),
      // What the target allows at best: the bare server over TLS, N processes, to the floor.
      tlsFloorWorkersToFloor: Object.fromEntries(
        Object.entries(floorWorkers).map(([n, r]) => [n, ratio(r.tls, floorGet)]),
      ),
    },
    targets: {
      pointGetRatioAtLeast: 0.5,
      pointGetRatioMet: ratio(fullGet, floorGet) >= 0.5,
      pointGetP99AtMostMs: 10,
      pointGetP99Met: fullGet['p99'] <= 10,
      // The best configuration on this machine (one process, or N workers).
      pointGetRatioMetAnyConfig: [fullGet, ...Object.values(withWorkers)].some(
        (r) => ratio(r, floorGet) >= 0.5,
      ),
      pointGetP99MetAnyConfig: [fullGet, ...Object.values(withWorkers)].some(
        (r) => r['p99'] <= 10 && ratio(r, floorGet) >= 0.5,
      ),
    },
  }) + '\n',
)
