/**
 * Authorization benchmark (issue #5). Run: npm run bench:authz [-- --rows 1000000 --runs 200]
 * Seeds one encrypted environment (bench/authz-world: 200 business units 5 levels deep, 10,000
 * users, 50,000 shares, `--rows` accounts), then times `accounts?$filter=…&$top=50` through the
 * records layer with the scope of a User-, Business Unit-, Parent: Child- and Organization-
 * level caller, and with no scope (the floor); prints each plan (EXPLAIN QUERY PLAN) and one
 * JSON line. This session's step measures the SQL layer in-process; the HTTPS run (as
 * bench:api does) is the next step of the issue (docs/authz.md §10).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CompiledQuery, sql } from 'kysely'
import { loadSecurityContext, recordAccess, securityRowsOf } from '../src/authz/index.ts'
import { buildSelectQuery, parseQueryOptions } from '../src/query/index.ts'
import {
  createRecordsService,
  migrateEnvironmentDatabase,
  type RecordScope,
} from '../src/records/index.ts'
import { systemClock } from '../src/shared/clock.ts'
import { asEnvironmentId } from '../src/shared/ids.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { Secret } from '../src/shared/secret.ts'
import { createEnvironmentDatabases } from '../src/storage/index.ts'
import { ISSUE_SHAPE, seedAuthzWorld } from './authz-world.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(ISSUE_SHAPE.rows) },
    users: { type: 'string', default: String(ISSUE_SHAPE.users) },
    shares: { type: 'string', default: String(ISSUE_SHAPE.shares) },
    runs: { type: 'string', default: '200' },
    filter: { type: 'string', default: 'numberofemployees ge 9000' },
    'page-cache-kib': { type: 'string', default: '2048' },
    analyze: { type: 'boolean', default: false },
  },
})
const log = (s: string) => process.stderr.write(s + '\n')
const dir = mkdtempSync(join(tmpdir(), 'sr-bench-authz-'))
const key = new Uint8Array(randomBytes(32))
const databases = createEnvironmentDatabases({
  dir,
  capacity: 4,
  cipher: 'aegis',
  pageCacheKiB: Number(values['page-cache-kib']),
  synchronous: 'normal',
  busyTimeoutMs: 5000,
  resolveKey: () => Promise.resolve(new Secret(key.slice())),
  onOpen: migrateEnvironmentDatabase,
})
try {
  const env = asEnvironmentId(randomUUID())
  await databases.create(env, new Secret(key.slice()))
  const records = createRecordsService({ databases, clock: systemClock, random: cryptoRandom })
  const ids = await records.provisionEnvironment(env, 'Bench')
  log('seeding…')
  const world = await seedAuthzWorld(
    { records, env, ids, use: (fn) => databases.use(env, fn) },
    {
      ...ISSUE_SHAPE,
      rows: Number(values.rows),
      users: Number(values.users),
      shares: Number(values.shares),
    },
    log,
  )
  if (values.analyze) {
    await databases.use(env, (db) => sql`analyze`.execute(db))
    log('analyzed')
  }
  const table = await records.getTable(env, 'account')
  const options = parseQueryOptions({ $filter: values.filter, $top: '50' }, table)
  const runs = Number(values.runs)
  const results: Record<string, { p50: number; p99: number; rows: number; visible: number }> = {}
  const cases: [string, RecordScope | undefined][] = [['floor', undefined]]
  for (const [name, who] of Object.entries(world.callers)) {
    const { security, roleNames } = await loadSecurityContext(securityRowsOf(records, env), who)
    cases.push([name, recordAccess({ ...who, roles: roleNames, security }, table, 'query')])
  }
  for (const [name, scope] of cases) {
    const extra = scope === undefined ? {} : { scope }
    const plan = await databases.use(env, async (db) => {
      const compiled = buildSelectQuery(
        db,
        table,
        options,
        scope === undefined ? undefined : (eb) => scope.where(eb, table),
      ).compile()
      const r = await db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
      )
      return r.rows.map((row) => row.detail)
    })
    const visible = await records.countRecords(env, 'account', { count: true }, extra)
    let rows = 0
    for (let i = 0; i < 5; i++)
      rows = (await records.queryRecords(env, 'account', options, extra)).records.length
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await records.queryRecords(env, 'account', options, extra)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    const at = (q: number) =>
      Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(2))
    results[name] = { p50: at(0.5), p99: at(0.99), rows, visible }
    log(
      `${name}: p50 ${String(at(0.5))} ms, p99 ${String(at(0.99))} ms, ${String(rows)} rows, ${String(visible)} visible (count capped at 5001)`,
    )
    for (const line of plan) log(`  plan: ${line}`)
  }
  process.stdout.write(
    JSON.stringify({ rows: Number(values.rows), analyze: values.analyze, results }) + '\n',
  )
} finally {
  await databases.closeAll()
  rmSync(dir, { recursive: true, force: true })
}
