/**
 * An in-process probe of reading encrypted columns (a development aid for bench:keys §d): a
 * point read of a row of `new_sealed` (two encrypted columns) against its plaintext twin
 * `new_clear`, through `records.retrieveRecord`, the OData handler and HTTPS over one
 * keep-alive TLS connection, and the cell opening alone. Prints CPU µs per call (best of 5
 * rounds). Run: `npx tsc -p tsconfig.json && node build/bench/cell-probe.js`;
 * `PROBE_ONLY=sealed|clear` runs one retrieveRecord loop long enough for `node --cpu-prof`, and
 * `PROBE_HTTPS=new_sealed|new_clear` one HTTPS GET loop, profiled
 * (/tmp/sr-prof/probe-<table>.cpuprofile).
 */
import { Agent, request } from 'node:https'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { initDataDir, openStrongroom } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { startServer } from '../src/api/start-server.ts'
import { createTenant } from '../src/control/tenants/create-tenant.ts'
import { createEnvironment } from '../src/control/environments/create-environment.ts'
import { systemClock } from '../src/shared/clock.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { silentLogger } from '../src/shared/logger.ts'
import { Secret } from '../src/shared/secret.ts'
import { openCell, sealCell } from '../src/records/cells/seal-cell.ts'
import { createODataHandler } from '../src/api/odata/index.ts'
import type { ApiRequestContext } from '../src/api/context.ts'
import { startCpuProfile } from './cpu-profile.ts'

const deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }
const root = mkdtempSync(join(tmpdir(), 'sr-cell-probe-'))
const env0 = { STRONGROOM_MASTER_KEY: Buffer.from(cryptoRandom.bytes(32)).toString('hex') }
const config = loadConfig({ env: env0, dataDir: join(root, 'data'), cwd: root })
await initDataDir(config, deps)
const app = await openStrongroom(config, deps)
await createTenant(app.control, { name: 'bench', actor: 'bench' })
const env = await createEnvironment(app.control, { tenant: 'bench', name: 'prod', actor: 'bench' })
const ids = await app.records.readProvisionedIds(env.id)
for (const [table, encrypted] of [
  ['new_sealed', true],
  ['new_clear', false],
] as const) {
  await app.records.createTable(env.id, {
    name: table,
    entitySetName: `${table}s`,
    ownership: 'user',
  })
  await app.records.addColumn(env.id, table, {
    name: 'new_nationalid',
    type: 'string',
    options: { maxLength: 80, ...(encrypted ? { encrypted: true } : {}) },
  })
  await app.records.addColumn(env.id, table, {
    name: 'new_notes',
    type: 'memo',
    options: encrypted ? { encrypted: true } : {},
  })
}
const sample: { new_sealed: string[]; new_clear: string[] } = { new_sealed: [], new_clear: [] }
await app.records.transaction(env.id, async (tx) => {
  for (let i = 0; i < 1000; i++) {
    const data = {
      name: `Person ${String(i).padStart(6, '0')}`,
      new_nationalid: `NID-${String(i * 7919).padStart(12, '0')}`,
      new_notes: `Notes for person ${String(i)}: ${'lorem ipsum '.repeat(8)}`,
    }
    for (const table of ['new_sealed', 'new_clear'] as const)
      sample[table].push(await tx.createRecord(env.id, table, data, { actorId: ids.systemUserId }))
  }
})

async function time(name: string, n: number, fn: (i: number) => unknown) {
  let best = Infinity
  for (let round = 0; round < 5; round++) {
    const t = process.cpuUsage()
    for (let i = 0; i < n; i++) await fn(i)
    const used = process.cpuUsage(t)
    best = Math.min(best, (used.user + used.system) / n)
  }
  process.stdout.write(`${name.padEnd(44)} ${best.toFixed(2).padStart(8)} µs\n`)
  return best
}
const id = (table: 'new_sealed' | 'new_clear', i: number) => sample[table][i % 1000] ?? ''

const only = process.env['PROBE_ONLY']
if (only === 'sealed' || only === 'clear') {
  const table = only === 'sealed' ? 'new_sealed' : 'new_clear'
  await time(`records.retrieveRecord ${table} (profile)`, 300000, (i) =>
    app.records.retrieveRecord(env.id, table, id(table, i)),
  )
  await app.close()
  rmSync(root, { recursive: true, force: true })
  process.exit(0)
}

const pair = async (
  what: string,
  n: number,
  fn: (t: 'new_sealed' | 'new_clear', i: number) => unknown,
) => {
  // PROBE_CLEAR_FIRST=1 flips the order, to see what warming up costs the first of the two.
  const clearFirst = process.env['PROBE_CLEAR_FIRST'] === '1'
  const c0 = clearFirst ? await time(`${what} new_clear`, n, (i) => fn('new_clear', i)) : 0
  const s = await time(`${what} new_sealed`, n, (i) => fn('new_sealed', i))
  const c = clearFirst ? c0 : await time(`${what} new_clear`, n, (i) => fn('new_clear', i))
  process.stdout.write(
    `${`  → extra for two cells`.padEnd(44)} ${(s - c).toFixed(2).padStart(8)} µs\n`,
  )
}
await pair('records.retrieveRecord', 20000, (t, i) =>
  app.records.retrieveRecord(env.id, t, id(t, i)),
)

// A sealed cell alone, the same size as new_notes.
const key = new Secret(cryptoRandom.bytes(32))
const address = {
  environmentId: env.id,
  table: 'new_sealed',
  column: 'new_notes',
  recordId: id('new_sealed', 0),
}
const sealed = sealCell(
  key,
  address,
  `Notes for person 1: ${'lorem ipsum '.repeat(8)}`,
  cryptoRandom,
)
await time('openCell (memo, ~120 chars)', 100000, () => openCell(key, address, sealed))

const handler = createODataHandler({
  records: app.records,
  control: app.control,
  clock: systemClock,
  random: cryptoRandom,
  logger: silentLogger,
})
const apiContext: ApiRequestContext = {
  requestId: 'probe',
  environment: env,
  principal: {
    kind: 'application',
    tenantId: env.tenantId,
    issuer: 'https://localhost:8443/bench/oauth2',
    issuerKind: 'builtin',
    subject: 'probe',
    clientId: 'probe',
    audience: 'https://localhost:8443/bench/prod/',
    issuedAt: 0,
    expiresAt: 0,
    methods: [],
  },
  caller: {
    systemUserId: ids.systemUserId,
    businessUnitId: ids.businessUnitId,
    roles: ['System Administrator'],
  },
  environmentUrl: 'https://localhost:8443/bench/prod/',
  webApiUrl: 'https://localhost:8443/bench/prod/api/data/v9.2/',
  version: 'v9.2',
}
await pair('OData handler GET by id', 20000, (t, i) =>
  handler(apiContext, {
    method: 'GET',
    path: `${t}s(${id(t, i)})`,
    query: {},
    headers: { accept: 'application/json' },
    body: undefined,
  }),
)

const running = await startServer(app, deps, { host: '127.0.0.1', port: config.server.port })
const fastify = running.server.fastify
const client = await app.identity.createApplicationUser({
  tenant: 'bench',
  environment: 'prod',
  name: 'bench',
  role: 'System Administrator',
})
const basic = Buffer.from(
  `${client.clientId}:${Buffer.from(client.clientSecret.expose()).toString()}`,
).toString('base64')
const tokenRes = await fastify.inject({
  method: 'POST',
  url: new URL(client.tokenEndpoint).pathname,
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
  payload: new URLSearchParams({
    grant_type: 'client_credentials',
    resource: client.resource,
  }).toString(),
})
const token = (JSON.parse(tokenRes.body) as { access_token: string }).access_token
const headers = { authorization: `Bearer ${token}`, accept: 'application/json' }
const agent = new Agent({
  keepAlive: true,
  maxSockets: 1,
  ca: readFileSync(running.caCertFile ?? ''),
})
const get = (path: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(`${running.baseUrl}${path}`, { agent, headers }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(String(res.statusCode)))
        else resolve(res.statusCode)
      })
    })
    req.on('error', reject)
    req.end()
  })
const httpsOnly = process.env['PROBE_HTTPS']
if (httpsOnly === 'new_sealed' || httpsOnly === 'new_clear') {
  // A CPU profile of this loop alone, written to /tmp/sr-prof/probe-<table>.cpuprofile.
  const profiler = await startCpuProfile()
  await time(`HTTPS GET ${httpsOnly} (profile)`, 20000, (i) =>
    get(`/bench/prod/api/data/v9.2/${httpsOnly}s(${id(httpsOnly, i)})`),
  )
  await profiler(`probe-${httpsOnly}`)
  process.exit(0)
}
await pair('HTTPS GET by id', 5000, (t, i) => get(`/bench/prod/api/data/v9.2/${t}s(${id(t, i)})`))
// The same rows without their two encrypted (or twin) columns: what the table costs apart from them.
await pair('HTTPS GET by id $select=name', 5000, (t, i) =>
  get(`/bench/prod/api/data/v9.2/${t}s(${id(t, i)})?$select=name`),
)
agent.destroy()
await running.stop()
await app.close()
rmSync(root, { recursive: true, force: true })
