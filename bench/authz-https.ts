/**
 * bench:authz over HTTPS (issue #5). Run: npm run bench:authz:https [-- --rows 1000000]
 * The world of bench/authz-world in a real data directory; `strongroom serve` in its own
 * process; autocannon (bench/load) drives `accounts?$filter=…&$top=50` with the token of an
 * application user bound to each bench caller (User, Business Unit, Parent: Child,
 * Organization) and of a System Administrator (no security filter: the floor), for each
 * `--filter` (default: benchFilters). Rounds interleave the callers (the machine is shared and
 * drifts): each round gives every caller `--seconds` of load after a warm-up, and each figure
 * is the median over rounds. Per caller: p50 / p99 latency (autocannon, 1 ms resolution),
 * req/s, the server process's CPU time per request (/proc/<pid>/stat) and the ratio to the
 * floor. Rows scanned are not observable from outside the server: `npm run bench:authz` counts
 * them for the same world and the same statements. One JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initDataDir, openStrongroom } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { createEnvironment } from '../src/control/environments/create-environment.ts'
import { createTenant } from '../src/control/tenants/create-tenant.ts'
import { systemClock } from '../src/shared/clock.ts'
import { silentLogger } from '../src/shared/logger.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { benchFilters, ISSUE_SHAPE, seedAuthzWorld } from './authz-world.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(ISSUE_SHAPE.rows) },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    // storage.pageCacheKiB of the server (default: the product's default).
    'page-cache-kib': { type: 'string' },
    // Latency is the question (p99 ≤ 20 ms): one connection, so queueing doesn't hide it.
    connections: { type: 'string', default: '1' },
    filter: { type: 'string', multiple: true },
  },
})
const log = (s: string) => process.stderr.write(s + '\n')
const deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }
const root = mkdtempSync(join(tmpdir(), 'sr-bench-authz-https-'))
const dataDir = join(root, 'data')
const BIN = resolve('build/src/cli/main.js')

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => {
        res(port)
      })
    })
  })
}

try {
  const masterEnv = {
    STRONGROOM_MASTER_KEY: cryptoRandom
      .bytes(32)
      .reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
  }
  const port = await freePort()
  await initDataDir(loadConfig({ env: masterEnv, dataDir, cwd: root }), deps)
  const settingsFile = join(dataDir, 'strongroom.json')
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
    server: Record<string, unknown>
    storage?: Record<string, unknown>
  }
  settings.server['port'] = port
  if (values['page-cache-kib'] !== undefined) {
    settings.storage = { ...settings.storage, pageCacheKiB: Number(values['page-cache-kib']) }
  }
  writeFileSync(settingsFile, JSON.stringify(settings))
  const app = await openStrongroom(loadConfig({ env: masterEnv, dataDir, cwd: root }), deps)
  await createTenant(app.control, { name: 'bench', actor: 'bench' })
  const env = await createEnvironment(app.control, {
    tenant: 'bench',
    name: 'prod',
    actor: 'bench',
  })
  const ids = await app.records.readProvisionedIds(env.id)
  log('seeding…')
  const world = await seedAuthzWorld(
    { records: app.records, env: env.id, ids, use: (fn) => app.databases.use(env.id, fn) },
    { ...ISSUE_SHAPE, rows: Number(values.rows) },
    log,
  )
  // One application user per caller: its token maps to the bench user (applicationid moved).
  const clients: Record<
    string,
    { id: string; secret: string; endpoint: string; resource: string }
  > = {}
  const system = { actorId: ids.systemUserId }
  for (const [name, who] of [
    ...Object.entries(world.callers),
    ['floor', undefined] as const,
  ] as const) {
    const created = await app.identity.createApplicationUser({
      tenant: 'bench',
      environment: 'prod',
      name: `bench ${name}`,
      role: 'System Administrator',
    })
    if (who !== undefined) {
      await app.records.updateRecord(
        env.id,
        'systemuser',
        created.applicationUserId,
        { applicationid: null },
        system,
      )
      await app.records.updateRecord(
        env.id,
        'systemuser',
        who.systemUserId,
        { applicationid: created.clientId },
        system,
      )
    }
    clients[name] = {
      id: created.clientId,
      secret: Buffer.from(created.clientSecret.expose()).toString(),
      endpoint: created.tokenEndpoint,
      resource: created.resource,
    }
  }
  await app.close()

  const server = spawn(process.execPath, [BIN, 'serve', '--json', '--data-dir', dataDir], {
    env: { PATH: process.env['PATH'] ?? '', ...masterEnv },
  })
  let out = ''
  server.stdout.on('data', (d: Buffer) => (out += d.toString()))
  while (!out.includes('\n')) {
    await Promise.race([once(server.stdout, 'data'), once(server, 'exit')])
    if (server.exitCode !== null) throw new Error(`server exited ${String(server.exitCode)}`)
  }
  const ready = JSON.parse(out.split('\n')[0] ?? '{}') as Record<string, unknown>
  const caFile = String(ready['caCertFile'])
  const ca = readFileSync(caFile, 'utf8')
  const token = (c: (typeof clients)[string]) =>
    new Promise<string>((res, rej) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource: c.resource })
      const req = request(
        c.endpoint,
        {
          method: 'POST',
          ca,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`,
          },
        },
        (r) => {
          let text = ''
          r.on('data', (d: Buffer) => (text += d.toString()))
          r.on('end', () => {
            const t = (JSON.parse(text) as { access_token?: string }).access_token
            if (t === undefined) rej(new Error(`token: ${text}`))
            else res(t)
          })
        },
      )
      req.on('error', rej)
      req.end(body.toString())
    })
  const load = (job: object): Promise<Record<string, number>> =>
    new Promise((res, rej) => {
      const child: ChildProcess = spawn(process.execPath, [resolve('build/bench/load.js')], {
        env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: caFile },
      })
      let text = ''
      child.stdout?.on('data', (d: Buffer) => (text += d.toString()))
      child.on('exit', (code) => {
        if (code === 0) res(JSON.parse(text) as Record<string, number>)
        else rej(new Error(`load exited ${String(code)}`))
      })
      child.stdin?.end(JSON.stringify(job))
    })
  // Server CPU (user + system) in ms, from /proc (Linux); clock ticks are 100 per second.
  const serverCpuMs = (): number => {
    const fields = readFileSync(`/proc/${String(server.pid)}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  }
  const median = (xs: readonly number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const names = ['floor', 'user', 'businessUnit', 'parentChild', 'organization']
  const tokens = new Map<string, string>()
  for (const name of names) {
    const c = clients[name]
    if (c !== undefined) tokens.set(name, await token(c))
  }
  const rounds = Number(values.rounds)
  const results: Record<string, Record<string, Record<string, number>>> = {}
  for (const filter of values.filter ?? benchFilters(Number(values.rows))) {
    const query = `accounts?$filter=${encodeURIComponent(filter)}&$top=50`
    const url = `${String(ready['baseUrl'])}/bench/prod/api/data/v9.2/${query}`
    const jobOf = (name: string) => ({
      url,
      method: 'GET',
      headers: {
        authorization: `Bearer ${tokens.get(name) ?? ''}`,
        accept: 'application/json',
        'odata-version': '4.0',
      },
      connections: Number(values.connections),
    })
    log(`$filter=${filter}&$top=50`)
    const samples = new Map(names.map((n) => [n, [] as Record<string, number>[]]))
    for (const name of names) await load({ ...jobOf(name), seconds: 2 }) // warm-up: caches, JIT
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        const cpu0 = serverCpuMs()
        const res = await load({ ...jobOf(name), seconds: Number(values.seconds) })
        const cpu = serverCpuMs() - cpu0
        if ((res['non2xx'] ?? 0) > 0 || (res['errors'] ?? 0) > 0) {
          throw new Error(`${name}: ${JSON.stringify(res)}`)
        }
        samples.get(name)?.push({ ...res, cpuMs: cpu / Math.max(1, res['total'] ?? 1) })
      }
    }
    const of = (name: string, k: string) => median((samples.get(name) ?? []).map((x) => x[k] ?? 0))
    const out: Record<string, Record<string, number>> = {}
    for (const name of names) {
      const p50 = of(name, 'p50')
      const p99 = of(name, 'p99')
      out[name] = {
        p50,
        p99,
        rps: Math.round(of(name, 'rps')),
        serverCpuMs: Number(of(name, 'cpuMs').toFixed(2)),
        p50VsFloor: Number((p50 / Math.max(1, of('floor', 'p50'))).toFixed(2)),
        p99VsFloor: Number((p99 / Math.max(1, of('floor', 'p99'))).toFixed(2)),
      }
      log(`  ${name}: ${JSON.stringify(out[name])}`)
    }
    results[filter] = out
  }
  server.kill('SIGTERM')
  await once(server, 'exit')
  process.stdout.write(
    JSON.stringify({
      rows: Number(values.rows),
      rounds,
      seconds: Number(values.seconds),
      pageCacheKiB:
        values['page-cache-kib'] === undefined ? 'default' : Number(values['page-cache-kib']),
      connections: Number(values.connections),
      results,
    }) + '\n',
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
