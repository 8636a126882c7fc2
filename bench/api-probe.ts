/**
 * An in-process probe of the point-GET pipeline (a development aid for bench:api): times a
 * GET by id through the whole server over one keep-alive TLS connection, a trivial route on
 * the same server, and the pieces below it. (Not `fastify.inject`: it retains ~10 KB per
 * request, and its GC cost swamps the figures.) Prints µs per call (CPU time, best of 5 rounds).
 * Run: `npx tsc -p tsconfig.json && node build/bench/api-probe.js`; `PROBE_ONLY=get|handler|sqlite`
 * runs one part long enough for `node --cpu-prof` (get: the whole server; sqlite: the point
 * select alone, by column count and row format).
 */
import { Agent, request } from 'node:https'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { initDataDir, openStrongroom } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { startServer } from '../src/api/start-server.ts'
import { createTenant } from '../src/control/tenants/create-tenant.ts'
import { createEnvironment } from '../src/control/environments/create-environment.ts'
import { systemClock } from '../src/shared/clock.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { silentLogger } from '../src/shared/logger.ts'
import { createODataHandler } from '../src/api/odata/index.ts'
import type { ApiRequestContext } from '../src/api/context.ts'

const deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }
const root = mkdtempSync(join(tmpdir(), 'sr-probe-'))
const env0 = {
  STRONGROOM_MASTER_KEY: Buffer.from(cryptoRandom.bytes(32)).toString('hex'),
}
const config = loadConfig({ env: env0, dataDir: join(root, 'data'), cwd: root })
await initDataDir(config, deps)
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
const recordIds: string[] = []
await app.records.transaction(env.id, async (tx) => {
  for (let i = 0; i < 1000; i++) {
    recordIds.push(
      await tx.createRecord(
        env.id,
        'account',
        { name: `Account ${String(i)}`, revenue: i * 3.5, numberofemployees: i },
        { actorId: ids.systemUserId },
      ),
    )
  }
})
// The token's audience is the environment URL on the configured port (8443 by default).
const running = await startServer(app, deps, { host: '127.0.0.1', port: config.server.port })
const fastify = running.server.fastify
const basic = Buffer.from(
  `${client.clientId}:${Buffer.from(client.clientSecret.expose()).toString()}`,
).toString('base64')
const tokenRes = await fastify.inject({
  method: 'POST',
  url: new URL(client.tokenEndpoint).pathname,
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${basic}`,
  },
  payload: new URLSearchParams({
    grant_type: 'client_credentials',
    resource: client.resource,
  }).toString(),
})
const token = (JSON.parse(tokenRes.body) as { access_token: string }).access_token
const headers = { authorization: `Bearer ${token}`, accept: 'application/json' }

async function time(name: string, n: number, fn: (i: number) => Promise<unknown>) {
  let best = Infinity
  for (let round = 0; round < 5; round++) {
    // CPU time, not wall time: steadier when other work shares the machine.
    const t = process.cpuUsage()
    for (let i = 0; i < n; i++) await fn(i)
    const used = process.cpuUsage(t)
    best = Math.min(best, (used.user + used.system) / n)
  }
  process.stdout.write(`${name.padEnd(40)} ${best.toFixed(1).padStart(7)} µs\n`)
  return best
}
const id = (i: number) => recordIds[i % recordIds.length] ?? ''
const agent = new Agent({
  keepAlive: true,
  maxSockets: 1,
  ca: readFileSync(running.caCertFile ?? ''),
})
const get = (path: string, h: Record<string, string> = {}) =>
  new Promise<number>((resolve, reject) => {
    const req = request(`${running.baseUrl}${path}`, { agent, headers: h }, (res) => {
      res.resume()
      res.on('end', () => {
        resolve(res.statusCode ?? 0)
      })
    })
    req.on('error', reject)
    req.end()
  })
const first = await fastify.inject({
  method: 'GET',
  url: `/bench/prod/api/data/v9.2/accounts(${id(0)})`,
  headers,
})
if (first.statusCode !== 200) throw new Error(`GET: ${String(first.statusCode)} ${first.body}`)
if (process.env['PROBE_ONLY'] === 'get') {
  await time('HTTPS GET account by id (profile)', 30000, (i) =>
    get(`/bench/prod/api/data/v9.2/accounts(${id(i)})`, headers),
  )
  process.exit(0)
}
// Over a real keep-alive TLS connection in this process: the client's own cost is in both
// figures, so their difference is what the pipeline adds to a trivial route.
await time('HTTPS GET /healthz (trivial route)', 5000, () => get('/healthz'))
await time('HTTPS GET account by id', 5000, (i) =>
  get(`/bench/prod/api/data/v9.2/accounts(${id(i)})`, headers),
)
await time('HTTPS GET account by id $select=name', 5000, (i) =>
  get(`/bench/prod/api/data/v9.2/accounts(${id(i)})?$select=name`, headers),
)
const handler = createODataHandler({
  records: app.records,
  control: app.control,
  clock: systemClock,
  random: cryptoRandom,
  logger: silentLogger,
})
const ctx: ApiRequestContext = {
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
if (process.env['PROBE_ONLY'] === 'sqlite') {
  const { resolveEnvironmentKey } =
    await import('../src/control/environments/resolve-environment-key.ts')
  const { openEncryptedDatabase } = await import('../src/storage/index.ts')
  const dek = await resolveEnvironmentKey(app.control, env.id)
  const raw = openEncryptedDatabase(app.databases.pathOf(env.id), dek, {
    cipher: 'aegis',
    create: false,
    pageCacheKiB: 2048,
    synchronous: 'full',
    busyTimeoutMs: 5000,
    corruptCode: 'DATABASE_CORRUPT',
    what: 'probe',
  })
  const cols = raw
    .prepare('select name from pragma_table_info(?)')
    .pluck()
    .all('account') as string[]
  const text = `select ${cols.map((c) => `"${c}"`).join(', ')} from "account" where "accountid" = ?`
  const safe = raw.prepare(text).safeIntegers(true)
  const plain = raw.prepare(text).safeIntegers(false)
  const rawRows = raw.prepare(text).safeIntegers(true).raw(true)
  const oneCol = raw.prepare('select "name" from "account" where "accountid" = ?')
  const sync = async (name: string, fn: (i: number) => unknown) =>
    time(name, 100000, (i) => {
      fn(i)
      return Promise.resolve()
    })
  process.stdout.write(`account has ${String(cols.length)} columns\n`)
  await sync('select all columns, safeIntegers', (i) => safe.get(id(i)))
  await sync('select all columns, plain numbers', (i) => plain.get(id(i)))
  await sync('select all columns, raw arrays', (i) => rawRows.get(id(i)))
  await sync('select one column', (i) => oneCol.get(id(i)))
  await sync('data_version', () => raw.prepare('PRAGMA data_version').pluck().get())
  raw.close()
  process.exit(0)
}
if (process.env['PROBE_ONLY'] === 'handler') {
  await time('OData handler GET account by id (profile)', 100000, (i) =>
    handler(ctx, {
      method: 'GET',
      path: `accounts(${id(i)})`,
      query: {},
      headers: { accept: 'application/json' },
      body: undefined,
    }),
  )
  process.exit(0)
}
await time('OData handler GET account by id', 20000, (i) =>
  handler(ctx, {
    method: 'GET',
    path: `accounts(${id(i)})`,
    query: {},
    headers: { accept: 'application/json' },
    body: undefined,
  }),
)
await time('records.retrieveRecord', 20000, (i) =>
  app.records.retrieveRecord(env.id, 'account', id(i)),
)
await time('records.getTable', 20000, () => app.records.getTable(env.id, 'accounts'))
agent.destroy()
await running.stop()
await app.close()
rmSync(root, { recursive: true, force: true })
