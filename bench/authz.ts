/**
 * Authorization benchmark (issue #5). Run: npm run bench:authz [-- --rows 1000000 --rounds 5]
 * Seeds one encrypted environment (bench/authz-world: 200 business units 5 levels deep, 10,000
 * users, 50,000 shares, `--rows` accounts), then times `accounts?$filter=…&$top=50` through the
 * records layer with the scope of a User-, Business Unit-, Parent: Child- and Organization-
 * level caller, a User-level manager with 50 reports (hierarchy security, depth 2), and with
 * no scope (the floor: the same query without security), for each
 * `--filter`. Rounds interleave the callers (a shared machine drifts); each figure is the
 * median over rounds of that round's p50 / p99. Also per caller: CPU time per query, rows
 * scanned (below), rows returned, visible rows ($count), the ratio to the floor and the plan
 * (EXPLAIN QUERY PLAN). Ends with one JSON line.
 *
 * Rows scanned: better-sqlite3 exposes neither sqlite3_stmt_status nor scan status, so the
 * bench registers a SQL function on its connection that records the rowid it is given, and
 * runs the statement once more with `_bench_visit(rowid)` as the first WHERE term and the
 * $filter as `CASE WHEN _bench_visit(rowid) THEN <filter> END` after the scope: every row a
 * loop reads is recorded before any non-index term can reject it (also in the sub-loops of a
 * MULTI-INDEX OR). The figure is the number of distinct table rows the statement read, in
 * all its branches; the plan of that statement is checked to be the timed one's.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CompiledQuery, sql, type Expression, type SqlBool } from 'kysely'
import { loadSecurityContext, recordAccess, securityRowsOf } from '../src/authz/index.ts'
import {
  compileFilter,
  parseQueryOptions,
  type DynamicExpressionBuilder,
  type ParsedQueryOptions,
} from '../src/query/index.ts'
import {
  createRecordsService,
  migrateEnvironmentDatabase,
  type RecordScope,
  type TableDef,
} from '../src/records/index.ts'
import { systemClock } from '../src/shared/clock.ts'
import { asEnvironmentId } from '../src/shared/ids.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { Secret } from '../src/shared/secret.ts'
import { createEnvironmentDatabases, type EnvDb } from '../src/storage/index.ts'
import { openEncryptedDatabase } from '../src/storage/sqlite/open-encrypted-database.ts'
import { benchFilters, ISSUE_SHAPE, seedAuthzWorld } from './authz-world.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(ISSUE_SHAPE.rows) },
    users: { type: 'string', default: String(ISSUE_SHAPE.users) },
    shares: { type: 'string', default: String(ISSUE_SHAPE.shares) },
    rounds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '40' },
    filter: { type: 'string', multiple: true },
    'page-cache-kib': { type: 'string', default: '2048' },
    analyze: { type: 'boolean', default: false },
    // The single-statement scope (no per-branch union), to compare shapes.
    'no-branches': { type: 'boolean', default: false },
  },
})
const filters = values.filter ?? benchFilters(Number(values.rows))
const log = (s: string) => process.stderr.write(s + '\n')
const dir = mkdtempSync(join(tmpdir(), 'sr-bench-authz-'))
const key = new Uint8Array(randomBytes(32))
/** Distinct rows (by rowid) read by the counting statement. */
const visited = new Set<unknown>()
/** The last statement over account that the records layer ran (its SQL and parameters). */
let lastQuery: { sql: string; params: unknown[] } | undefined
const databases = createEnvironmentDatabases({
  dir,
  capacity: 4,
  cipher: 'aegis',
  pageCacheKiB: Number(values['page-cache-kib']),
  synchronous: 'normal',
  busyTimeoutMs: 5000,
  resolveKey: () => Promise.resolve(new Secret(key.slice())),
  onOpen: migrateEnvironmentDatabase,
  openFile: (...args) => {
    const raw = openEncryptedDatabase(...args)
    raw.function('_bench_visit', { deterministic: false }, (rowid: unknown) => {
      visited.add(rowid)
      return 1
    })
    // Bench-only spy: remember the SQL and parameters of each account select, for its plan.
    const prepare = raw.prepare.bind(raw)
    raw.prepare = ((text: string) => {
      const stmt = prepare(text)
      if (!/^select .* from "account"/s.test(text)) return stmt
      const all = stmt.all.bind(stmt)
      stmt.all = (...params: unknown[]) => {
        lastQuery = { sql: text, params: params.flat() }
        return all(...params)
      }
      return stmt
    }) as typeof raw.prepare
    return raw
  },
})

interface Case {
  readonly name: string
  readonly scope: RecordScope | undefined
}
interface Sample {
  p50: number[]
  p99: number[]
  cpuUs: number[]
}

const round2 = (n: number) => Number(n.toFixed(2))
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
const median = (xs: readonly number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )

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
  const cases: Case[] = [{ name: 'floor', scope: undefined }]
  for (const [name, who] of Object.entries(world.callers)) {
    const { security, roleNames } = await loadSecurityContext(securityRowsOf(records, env), who)
    const scope = recordAccess({ ...who, roles: roleNames, security }, table, 'query')
    cases.push({
      name,
      scope:
        scope === undefined || !values['no-branches'] ? scope : { where: scope.where.bind(scope) },
    })
  }
  const extraOf = (scope: RecordScope | undefined) => (scope === undefined ? {} : { scope })
  const runs = Number(values.runs)
  const rounds = Number(values.rounds)
  const results: Record<string, Record<string, Record<string, number>>> = {}
  for (const filter of filters) {
    const options = parseQueryOptions({ $filter: filter, $top: '50' }, table)
    log(`\n$filter=${filter}&$top=50`)
    const facts: Record<string, { rows: number; visible: number; scanned: number }> = {}
    for (const c of cases) {
      const visible = await records.countRecords(env, 'account', { count: true }, extraOf(c.scope))
      const rows = (await records.queryRecords(env, 'account', options, extraOf(c.scope))).records
        .length
      const scanned = await rowsScanned(c.scope, options, table)
      facts[c.name] = { rows, visible, scanned: scanned.rows }
      log(`${c.name}: ${String(scanned.rows)} rows scanned, ${String(rows)} rows`)
      for (const line of scanned.plan) log(`  plan: ${line}`)
      if (!scanned.samePlan) log('  (the counting statement planned differently: see above)')
    }
    const samples = new Map<string, Sample>(
      cases.map((c) => [c.name, { p50: [], p99: [], cpuUs: [] }]),
    )
    for (let r = 0; r < rounds; r++) {
      for (const c of r % 2 === 0 ? cases : [...cases].reverse()) {
        for (let i = 0; i < 3; i++)
          await records.queryRecords(env, 'account', options, extraOf(c.scope))
        const times: number[] = []
        const cpu0 = process.cpuUsage()
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now()
          await records.queryRecords(env, 'account', options, extraOf(c.scope))
          times.push(performance.now() - t0)
        }
        const cpu = process.cpuUsage(cpu0)
        times.sort((a, b) => a - b)
        const s = samples.get(c.name) as Sample
        s.p50.push(quantile(times, 0.5))
        s.p99.push(quantile(times, 0.99))
        s.cpuUs.push((cpu.user + cpu.system) / runs)
      }
    }
    const floor = samples.get('floor') as Sample
    const out: Record<string, Record<string, number>> = {}
    for (const c of cases) {
      const s = samples.get(c.name) as Sample
      const f = facts[c.name] ?? { rows: 0, visible: 0, scanned: 0 }
      const p50 = median(s.p50)
      const p99 = median(s.p99)
      out[c.name] = {
        p50: round2(p50),
        p99: round2(p99),
        cpuMs: round2(median(s.cpuUs) / 1000),
        rowsScanned: f.scanned,
        rows: f.rows,
        visible: f.visible,
        p50VsFloor: round2(p50 / median(floor.p50)),
        p99VsFloor: round2(p99 / median(floor.p99)),
      }
      const o = out[c.name] ?? {}
      log(
        `${c.name.padEnd(13)} p50 ${String(o['p50']).padStart(6)} ms  p99 ${String(o['p99']).padStart(6)} ms  cpu ${String(o['cpuMs']).padStart(6)} ms  scanned ${String(f.scanned).padStart(7)}  ×floor p50 ${String(o['p50VsFloor'])} p99 ${String(o['p99VsFloor'])}  (${String(f.rows)} rows, ${String(f.visible)} visible, count capped at 5001)`,
      )
    }
    results[filter] = out
  }
  process.stdout.write(
    JSON.stringify({
      rows: Number(values.rows),
      pageCacheKiB: Number(values['page-cache-kib']),
      analyze: values.analyze,
      branches: !values['no-branches'],
      rounds,
      runs,
      results,
    }) + '\n',
  )

  /**
   * Table rows read by the query of `scope` (see the header): the statement run once with the
   * counting function first in WHERE and the $filter after the scope, its plan compared.
   */
  async function rowsScanned(
    scope: RecordScope | undefined,
    options: ParsedQueryOptions,
    t: TableDef,
  ): Promise<{ rows: number; plan: string[]; samePlan: boolean }> {
    const visit = (eb: DynamicExpressionBuilder): Expression<SqlBool> =>
      sql<SqlBool>`_bench_visit(${eb.ref(`${t.name}.rowid`)})`
    const compiled = options.filter === undefined ? undefined : compileFilter(options.filter, t)
    // CASE fixes the order: the row is recorded before the filter can reject it, also where
    // SQLite pushes the filter into the sub-loops of a MULTI-INDEX OR.
    const filter =
      compiled === undefined
        ? undefined
        : (eb: DynamicExpressionBuilder): Expression<SqlBool> =>
            sql<SqlBool>`case when ${visit(eb)} then ${compiled(eb)} else 0 end`
    const unfiltered: ParsedQueryOptions = { ...options }
    delete (unfiltered as { filter?: unknown }).filter
    const counting: RecordScope = {
      where: (eb, tt) => eb.and([visit(eb), ...(scope === undefined ? [] : [scope.where(eb, tt)])]),
      ...(scope?.branches === undefined
        ? {}
        : {
            branches: (eb, tt) =>
              (scope.branches?.(eb, tt) ?? []).map((b) => eb.and([visit(eb), b])),
          }),
    }
    const planOf = async (): Promise<string[]> => {
      const q = lastQuery
      if (q === undefined) return []
      return databases.use(env, async (db: EnvDb) => {
        const r = await db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${q.sql}`, q.params),
        )
        return r.rows.map((row) => row.detail)
      })
    }
    lastQuery = undefined
    await records.queryRecords(env, 'account', options, scope === undefined ? {} : { scope })
    const plan = await planOf()
    lastQuery = undefined
    visited.clear()
    await records.queryRecords(env, 'account', unfiltered, {
      scope: counting,
      ...(filter === undefined ? {} : { where: filter }),
    })
    const rows = visited.size
    const countingPlan = await planOf()
    const shape = (lines: string[]) => lines.map((l) => l.replace(/ \(.*\)$/, ''))
    return {
      rows,
      plan,
      samePlan: JSON.stringify(shape(countingPlan)) === JSON.stringify(shape(plan)),
    }
  }
} finally {
  await databases.closeAll()
  rmSync(dir, { recursive: true, force: true })
}
