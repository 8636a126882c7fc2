/**
 * Key benchmark (issue #6). Run: npm run bench:keys [-- --envs 10000 --lock-envs 1000]
 *  a. Rotate a customer key over N environments (re-wrap only): SoftHSM2 RSA-2048, and the
 *     local vault (AES-256) for comparison. Setup (creating the environments) is timed apart.
 *  b. From destroying the key object in the token to every environment under it locked, with
 *     the key-health interval at 1 s, for M environments.
 *  c. Unwrap latency p50/p99 per provider: local vault, SoftHSM2 RSA-2048 and RSA-4096,
 *     uploaded PFX (BYOK) RSA-2048.
 *  d. Point GET through the Web API (`strongroom serve`, HTTPS, autocannon) on a table with two
 *     encrypted columns vs its twin with the same columns in plaintext: req/s and server CPU µs
 *     per request, interleaved rounds, median.
 * Progress goes to stderr; the last line on stdout is one JSON object of the figures.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import forge from 'node-forge'
import pkcs11js from 'pkcs11js'
import { initDataDir, openStrongroom, type Strongroom } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import type { ControlContext } from '../src/control/context.ts'
import { createEnvironment } from '../src/control/environments/create-environment.ts'
import { startKeyHealthChecks } from '../src/control/key-health/start-key-health-checks.ts'
import { createTenantKey } from '../src/control/keys/create-tenant-key.ts'
import { importTenantKey } from '../src/control/keys/import-tenant-key.ts'
import { rotateTenantKey, type TenantKey } from '../src/control/keys/tenant-keys.ts'
import { findEnvironment } from '../src/control/environments/environment.ts'
import { resolveFieldKey } from '../src/control/environments/resolve-field-key.ts'
import { findPolicyRow } from '../src/control/policies/policy.ts'
import { rewrapEnvironmentKey } from '../src/control/policies/rewrap-environment-key.ts'
import { findTenant } from '../src/control/tenants/find-tenant.ts'
import { createPolicy } from '../src/control/policies/create-policy.ts'
import { createTenant } from '../src/control/tenants/create-tenant.ts'
import { dekContext, generateDataKey } from '../src/keys/envelope.ts'
import type { KeyProvider, KeyRef } from '../src/keys/key-provider.ts'
import { objectId } from '../src/keys/pkcs11/key-objects.ts'
import { systemClock } from '../src/shared/clock.ts'
import { silentLogger } from '../src/shared/logger.ts'
import { cryptoRandom } from '../src/shared/random.ts'
import { Secret } from '../src/shared/secret.ts'
import { startCpuProfile } from './cpu-profile.ts'
import {
  clientCredentialsToken,
  freePort,
  loadWithCpu,
  startChild,
  stopChild,
} from './serve-load.ts'
import { adminHandle, createSoftHsmToken, type SoftHsmToken } from '../tests/helpers/softhsm.ts'

const { values } = parseArgs({
  options: {
    envs: { type: 'string', default: '10000' },
    'lock-envs': { type: 'string', default: '1000' },
    'lock-trials': { type: 'string', default: '5' },
    unwraps: { type: 'string', default: '1000' },
    only: { type: 'string', default: 'rotate,lock,unwrap,columns' },
    'col-rows': { type: 'string', default: '10000' },
    'col-rounds': { type: 'string', default: '16' },
    'col-seconds': { type: 'string', default: '3' },
    'col-connections': { type: 'string', default: '50' },
    // Writes a CPU profile of the server to /tmp/sr-prof (section d).
    'col-profile': { type: 'boolean', default: false },
    // Writes a CPU profile of each rotation alone (section a) to /tmp/sr-prof.
    'rotate-profile': { type: 'boolean', default: false },
    // A/A control: both tables in plaintext, to show what the machine's noise alone gives.
    'col-control': { type: 'boolean', default: false },
    // storage.pageCacheKiB of the server; empty: the product's default (32 MiB since session 3).
    'col-page-cache-kib': { type: 'string', default: '' },
    // Section d at a fixed request rate (req/s, both tables alike) instead of closed-loop.
    'col-rate': { type: 'string' },
  },
})
const ENVS = Number(values.envs)
const LOCK_ENVS = Number(values['lock-envs'])
const LOCK_TRIALS = Number(values['lock-trials'])
const UNWRAPS = Number(values.unwraps)
const ONLY = new Set(values.only.split(','))
const COL_ROWS = Number(values['col-rows'])
const COL_ROUNDS = Number(values['col-rounds'])
const COL_SECONDS = Number(values['col-seconds'])
const COL_CONNECTIONS = Number(values['col-connections'])
/** Targets of issue #6. */
const TARGETS = { rotateSeconds: 10, lockAfterIntervalSeconds: 1, columnsOverhead: 0.1 }
const HEALTH_INTERVAL_S = 1

const log = (s: string) => process.stderr.write(s + '\n')
const deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }
const root = mkdtempSync(join(tmpdir(), 'sr-bench-keys-'))
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits
const pct = (xs: readonly number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0
const seconds = (t0: number) => round((performance.now() - t0) / 1000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// One SoftHSM2 token for the whole run; SOFTHSM2_CONF must be set before the module loads.
const token: SoftHsmToken = createSoftHsmToken('sr-bench-keys')
const pin = new TextDecoder().decode(token.pin.expose())

// ── setup helpers ─────────────────────────────────────────────────────────────────────────

/** A fresh data directory with the token configured as the pkcs11 provider, opened. */
async function openBenchApp(name: string): Promise<Strongroom> {
  const dataDir = join(root, name)
  const env = {
    STRONGROOM_MASTER_KEY: Buffer.from(cryptoRandom.bytes(32)).toString('hex'),
    STRONGROOM_PKCS11_PIN: pin,
  }
  await initDataDir(loadConfig({ env, dataDir, cwd: root }), deps)
  const file = join(dataDir, 'strongroom.json')
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  settings['keyProviders'] = {
    pkcs11: { modulePath: token.modulePath, tokenLabel: token.tokenLabel },
  }
  settings['keys'] = { healthCheckIntervalSeconds: HEALTH_INTERVAL_S }
  writeFileSync(file, JSON.stringify(settings))
  return openStrongroom(loadConfig({ env, dataDir, cwd: root }), deps)
}

/**
 * The bench's fast path for many environments: the real createEnvironment (DEK generated and
 * wrapped by the service key, control-plane row, history), minus what a key benchmark doesn't
 * need: no database file and no system tables. Re-wrap, lock and the key-health check never
 * open an environment's file, so these environments are complete for everything measured here.
 */
function leanControl(ctx: ControlContext): ControlContext {
  return {
    ...ctx,
    provisionEnvironment: () => Promise.resolve(),
    databases: {
      ...ctx.databases,
      create: (_id, key) => {
        key.dispose()
        return Promise.resolve()
      },
    },
  }
}

/**
 * `count` environments of `tenant`, each then moved under `policy` by the real add-env re-wrap
 * (rewrapEnvironmentKey: unwrap with the service key, wrap with the policy's key, conditional
 * update, membership, history). addEnvironmentToPolicy itself also returns the policy with the
 * names of all its environments, which makes adding 10,000 one by one quadratic; the bench skips
 * that answer.
 */
async function bulkEnvironments(
  app: Strongroom,
  input: { tenant: string; policy: string; count: number; fieldKeys?: boolean },
): Promise<{ createSeconds: number; addSeconds: number }> {
  const ctx = leanControl(app.control)
  // Setup only: no fsync per commit while the rows are written (the control plane is always
  // `synchronous = FULL` otherwise, and is again before anything is measured).
  await sql`PRAGMA synchronous = OFF`.execute(app.control.db)
  const t0 = performance.now()
  for (let i = 0; i < input.count; i++) {
    const env = await createEnvironment(ctx, {
      tenant: input.tenant,
      name: `env-${i}`,
      actor: 'bench',
    })
    // An environment that uses cell-level encryption also holds a wrapped field key, which
    // every re-wrap moves too: two unwraps and two wraps instead of one.
    if (input.fieldKeys === true) (await resolveFieldKey(ctx, env.id)).dispose()
    if (i % 2000 === 1999) log(`    created ${i + 1}…`)
  }
  const createSeconds = seconds(t0)
  const t1 = performance.now()
  const tenant = await findTenant(ctx, input.tenant)
  const policy = await findPolicyRow(ctx, tenant.id, input.policy)
  for (let i = 0; i < input.count; i++) {
    const env = await findEnvironment(ctx, input.tenant, `env-${i}`)
    await rewrapEnvironmentKey(ctx, {
      env,
      to: {
        rowId: policy.keyRowId,
        name: policy.keyName,
        provider: policy.provider,
        providerKeyId: policy.providerKeyId,
      },
      actor: 'bench',
      action: 'policy.environment-added',
      detail: { policyName: policy.name },
      also: async (trx) => {
        await trx
          .insertInto('encryption_policy_environments')
          .values({ environment_id: env.id, policy_id: policy.id, added_at: env.createdAt })
          .execute()
      },
    })
    if (i % 2000 === 1999) log(`    added to policy ${i + 1}…`)
  }
  await sql`PRAGMA synchronous = FULL`.execute(app.control.db)
  return { createSeconds, addSeconds: seconds(t1) }
}

/** A tenant with a customer key of `provider`/`type` and a policy on it. */
async function tenantWithKey(
  app: Strongroom,
  tenant: string,
  provider: 'local' | 'pkcs11',
  type: string,
): Promise<TenantKey> {
  await createTenant(app.control, { name: tenant, actor: 'bench' })
  const key = await createTenantKey(app.control, {
    tenant,
    name: 'cmk',
    provider,
    type,
    actor: 'bench',
  })
  await createPolicy(app.control, { tenant, name: 'cmk', key: 'cmk', actor: 'bench' })
  return key
}

// ── a. rotation over N environments ───────────────────────────────────────────────────────

async function rotation(
  provider: 'local' | 'pkcs11',
  type: string,
  count: number,
  fieldKeys = false,
) {
  const app = await openBenchApp(`rotate-${provider}${fieldKeys ? '-fk' : ''}`)
  try {
    await tenantWithKey(app, 'acme', provider, type)
    const what = fieldKeys ? ' each with a field key' : ''
    log(`  ${provider} ${type}: setting up ${count} environments${what}…`)
    const setup = await bulkEnvironments(app, { tenant: 'acme', policy: 'cmk', count, fieldKeys })
    log(`    setup ${JSON.stringify(setup)}`)
    const load = loadavg()[0] ?? 0
    const profiler = values['rotate-profile'] ? await startCpuProfile() : undefined
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const r = await rotateTenantKey(app.control, { tenant: 'acme', name: 'cmk', actor: 'bench' })
    const rotateSeconds = seconds(t0)
    const cpu = process.cpuUsage(cpu0)
    if (profiler !== undefined) {
      log(`    profile: ${await profiler(`rotate-${provider}-${type}${fieldKeys ? '-fk' : ''}`)}`)
    }
    if (r.rewrapped !== count) throw new Error(`re-wrapped ${r.rewrapped} of ${count}`)
    log(
      `    rotated ${r.rewrapped} in ${rotateSeconds} s (cpu ${round((cpu.user + cpu.system) / 1e6)} s: user ${round(cpu.user / 1e6)}, system ${round(cpu.system / 1e6)}; load ${round(load, 2)})`,
    )
    return {
      provider,
      type,
      environments: count,
      fieldKeys,
      rotateSeconds,
      perEnvironmentMs: round((rotateSeconds * 1000) / count),
      // CPU of the whole process (event loop and pkcs11js worker threads): what the rotation
      // costs when the machine is shared.
      cpuSeconds: round((cpu.user + cpu.system) / 1e6),
      loadAverage1m: round(load, 2),
      setupSeconds: setup,
    }
  } finally {
    await app.close()
  }
}

// ── b. destroy in the token → every environment locked ────────────────────────────────────

/** Deletes a key version's objects with the HSM administrator's own session. */
function destroyInToken(ref: KeyRef): void {
  const { p11, session } = adminHandle(token)
  p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: objectId(ref) }])
  const found = p11.C_FindObjects(session, 10)
  p11.C_FindObjectsFinal(session)
  for (const o of found) p11.C_DestroyObject(session, o)
  p11.C_CloseSession(session)
}

async function lockAfterDestroy(count: number, trial: number) {
  const app = await openBenchApp(`lock-${trial}`)
  try {
    const tenant = 'acme'
    const key = await tenantWithKey(app, tenant, 'pkcs11', 'rsa-2048')
    log(`  trial ${trial + 1}: setting up ${count} environments…`)
    const setup = await bulkEnvironments(app, { tenant, policy: 'cmk', count })
    const stop = startKeyHealthChecks(app.control, {
      intervalMs: HEALTH_INTERVAL_S * 1000,
      logger: silentLogger,
    })
    try {
      // Destroy at a random point of the check's cycle, as an administrator would.
      await sleep(Buffer.from(cryptoRandom.bytes(2)).readUInt16BE(0) % (HEALTH_INTERVAL_S * 1000))
      const t0 = performance.now()
      destroyInToken({ keyId: key.keyId, version: key.currentVersion })
      let firstLockSeconds: number | undefined
      for (;;) {
        const { n } = await app.control.db
          .selectFrom('environments')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', '=', 'locked')
          .executeTakeFirstOrThrow()
        if (n > 0 && firstLockSeconds === undefined) firstLockSeconds = seconds(t0)
        if (n === count) break
        if (performance.now() - t0 > 120_000) throw new Error(`only ${n} of ${count} locked`)
        await sleep(5)
      }
      const allLockedSeconds = seconds(t0)
      log(`    first lock ${firstLockSeconds} s, all ${count} locked ${allLockedSeconds} s`)
      return { firstLockSeconds: firstLockSeconds ?? allLockedSeconds, allLockedSeconds, setup }
    } finally {
      await stop()
    }
  } finally {
    await app.close()
  }
}

// ── c. unwrap latency per provider ────────────────────────────────────────────────────────

function pfx(bits: number, password: string): Uint8Array {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  )
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = '01'
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000)
  cert.setSubject([{ name: 'commonName', value: 'bench' }])
  cert.setIssuer([{ name: 'commonName', value: 'bench' }])
  cert.sign(key, forge.md.sha256.create())
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: 'aes256' })
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
}

async function unwrapLatency(provider: KeyProvider, ref: KeyRef, samples: number) {
  const context = dekContext({
    purpose: 'environment-db',
    tenantId: cryptoRandom.uuid(),
    environmentId: cryptoRandom.uuid(),
  })
  const dek = generateDataKey(cryptoRandom)
  const wrapped = await provider.wrap(ref, dek, context)
  dek.dispose()
  for (let i = 0; i < Math.min(20, samples); i++)
    (await provider.unwrap(ref, wrapped, context)).dispose()
  const ms: number[] = []
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now()
    const out = await provider.unwrap(ref, wrapped, context)
    ms.push(performance.now() - t0)
    out.dispose()
  }
  return { samples, p50Ms: round(pct(ms, 50)), p99Ms: round(pct(ms, 99)) }
}

async function unwrapLatencies(samples: number) {
  const app = await openBenchApp('unwrap')
  try {
    await createTenant(app.control, { name: 'acme', actor: 'bench' })
    const out: Record<string, unknown> = {}
    const cases: { name: string; provider: 'local' | 'pkcs11'; type: string; n: number }[] = [
      { name: 'local aes-256', provider: 'local', type: 'aes-256', n: samples },
      { name: 'local rsa-2048', provider: 'local', type: 'rsa-2048', n: samples },
      { name: 'softhsm aes-256', provider: 'pkcs11', type: 'aes-256', n: samples },
      { name: 'softhsm rsa-2048', provider: 'pkcs11', type: 'rsa-2048', n: samples },
      { name: 'softhsm rsa-4096', provider: 'pkcs11', type: 'rsa-4096', n: Math.ceil(samples / 4) },
    ]
    for (const c of cases) {
      const key = await createTenantKey(app.control, {
        tenant: 'acme',
        name: c.name.replace(/[^a-z0-9]+/g, '-'),
        provider: c.provider,
        type: c.type,
        actor: 'bench',
      })
      const provider = app.control.providers.get(c.provider)
      if (provider === undefined) throw new Error(`no provider ${c.provider}`)
      out[c.name] = await unwrapLatency(provider, { keyId: key.keyId, version: 1 }, c.n)
      log(`  ${c.name}: ${JSON.stringify(out[c.name])}`)
    }
    const password = 'bench password'
    const secret = new Secret(new TextEncoder().encode(password))
    const uploaded = await importTenantKey(app.control, {
      tenant: 'acme',
      name: 'pfx',
      pfx: pfx(2048, password),
      password: secret,
      actor: 'bench',
    })
    secret.dispose()
    const byok = app.control.providers.get('byok')
    if (byok === undefined) throw new Error('no byok provider')
    out['byok (pfx) rsa-2048'] = await unwrapLatency(
      byok,
      { keyId: uploaded.keyId, version: 1 },
      samples,
    )
    log(`  byok (pfx) rsa-2048: ${JSON.stringify(out['byok (pfx) rsa-2048'])}`)
    return out
  } finally {
    await app.close()
  }
}

// ── d. point GET with two encrypted columns vs without, through the Web API ──────────────

/**
 * One environment with two tables of the same `rows` rows: `new_sealed` with two encrypted
 * columns (a string and a memo) and `new_clear` with the same two columns in plaintext.
 * `strongroom serve` runs in its own process; autocannon (bench/load.ts) drives it over HTTPS
 * with keep-alive and `COL_CONNECTIONS` connections, GET by random id selecting every column,
 * alternating the two tables for `COL_ROUNDS` rounds (the order flips each round). Reports the
 * median req/s and the median server CPU µs per request of each, and
 * overhead = 1 − encrypted/plain for both figures.
 */
async function encryptedColumnsPointGet(rows: number, rounds: number, secondsEach: number) {
  const dataDir = join(root, 'columns')
  const masterEnv = {
    STRONGROOM_MASTER_KEY: Buffer.from(cryptoRandom.bytes(32)).toString('hex'),
  }
  const port = await freePort()
  await initDataDir(loadConfig({ env: masterEnv, dataDir, cwd: root }), deps)
  const file = join(dataDir, 'strongroom.json')
  const settings = JSON.parse(readFileSync(file, 'utf8')) as { server: Record<string, unknown> }
  settings.server['port'] = port
  const all = settings as Record<string, unknown>
  if (values['col-page-cache-kib'] !== '') {
    all['storage'] = {
      ...(all['storage'] as Record<string, unknown> | undefined),
      pageCacheKiB: Number(values['col-page-cache-kib']),
    }
  }
  writeFileSync(file, JSON.stringify(settings))
  const config = loadConfig({ env: masterEnv, dataDir, cwd: root })
  const app = await openStrongroom(config, deps)
  const sample: { sealed: string[]; clear: string[] } = { sealed: [], clear: [] }
  let client: Awaited<ReturnType<typeof app.identity.createApplicationUser>>
  try {
    await createTenant(app.control, { name: 'bench', actor: 'bench' })
    const env = await createEnvironment(app.control, {
      tenant: 'bench',
      name: 'prod',
      actor: 'bench',
    })
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
        options: {
          maxLength: 80,
          ...(encrypted && !values['col-control'] ? { encrypted: true } : {}),
        },
      })
      await app.records.addColumn(env.id, table, {
        name: 'new_notes',
        type: 'memo',
        options: encrypted && !values['col-control'] ? { encrypted: true } : {},
      })
    }
    log(`  seeding ${String(rows)} rows in each table…`)
    for (let done = 0; done < rows; done += 1000) {
      await app.records.transaction(env.id, async (tx) => {
        for (let i = done; i < Math.min(rows, done + 1000); i++) {
          const data = {
            name: `Person ${String(i).padStart(6, '0')}`,
            new_nationalid: `NID-${String(i * 7919).padStart(12, '0')}`,
            new_notes: `Notes for person ${String(i)}: ${'lorem ipsum '.repeat(8)}`,
          }
          const a = await tx.createRecord(env.id, 'new_sealed', data, {
            actorId: ids.systemUserId,
          })
          const b = await tx.createRecord(env.id, 'new_clear', data, {
            actorId: ids.systemUserId,
          })
          if (i % 10 === 0) {
            sample.sealed.push(a)
            sample.clear.push(b)
          }
        }
      })
    }
    client = await app.identity.createApplicationUser({
      tenant: 'bench',
      environment: 'prod',
      name: 'bench',
      role: 'System Administrator',
    })
  } finally {
    await app.close()
  }
  const server = await startChild(
    [
      ...(values['col-profile'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sr-prof'] : []),
      resolve('build/src/cli/main.js'),
      'serve',
      '--json',
      '--data-dir',
      dataDir,
    ],
    null,
    masterEnv,
  )
  try {
    const caFile = String(server.ready['caCertFile'])
    const token = await clientCredentialsToken(client, readFileSync(caFile, 'utf8'))
    const api = `${String(server.ready['baseUrl'])}/bench/prod/api/data/v9.2/`
    const job = (table: 'new_sealed' | 'new_clear') => ({
      url: `${api}${table}s(`,
      suffix: ')',
      method: 'GET',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      ids: table === 'new_sealed' ? sample.sealed : sample.clear,
      connections: COL_CONNECTIONS,
      seconds: secondsEach,
      ...(values['col-rate'] === undefined ? {} : { rate: Number(values['col-rate']) }),
    })
    const tls = { NODE_EXTRA_CA_CERTS: caFile }
    for (const [table, id] of [
      ['new_sealed', sample.sealed[0]],
      ['new_clear', sample.clear[0]],
    ] as const) {
      const { headers, ...rest } = job(table)
      const res = await fetchOver(`${rest.url}${id ?? ''})`, headers, caFile)
      log(`  one ${table} response: ${res}`)
    }
    // Warm-up: the JIT, the statement and catalog caches, the field key.
    await loadWithCpu({ ...job('new_sealed'), seconds: 2 }, tls, server.child.pid)
    await loadWithCpu({ ...job('new_clear'), seconds: 2 }, tls, server.child.pid)
    const runs: { sealed: Record<string, number>[]; clear: Record<string, number>[] } = {
      sealed: [],
      clear: [],
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['sealed', 'clear'] as const) : (['clear', 'sealed'] as const)
      for (const which of order) {
        const out = await loadWithCpu(
          job(which === 'sealed' ? 'new_sealed' : 'new_clear'),
          tls,
          server.child.pid,
        )
        if ((out['non2xx'] ?? 0) > 0 || (out['errors'] ?? 0) > 0)
          throw new Error(`${which}: ${JSON.stringify(out)}`)
        runs[which].push(out)
        log(`    round ${String(r + 1)} ${which}: ${JSON.stringify(out)}`)
      }
    }
    const median = (xs: readonly number[]) => {
      const sorted = [...xs].sort((a, b) => a - b)
      const mid = Math.floor(sorted.length / 2)
      return sorted.length % 2 === 1
        ? (sorted[mid] ?? 0)
        : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
    }
    const of = (xs: Record<string, number>[], k: string) => xs.map((x) => x[k] ?? 0)
    // Each round's two phases ran back to back, so their ratio cancels most of the other jobs'
    // load on this shared machine; the verdict takes the median of those per-round ratios.
    const paired = (k: string, f: (enc: number, plain: number) => number) =>
      runs.sealed.map((x, i) => f(x[k] ?? 0, runs.clear[i]?.[k] ?? 0))
    return {
      rows,
      rounds,
      secondsEach,
      connections: COL_CONNECTIONS,
      control: values['col-control'],
      ...(values['col-rate'] === undefined ? {} : { ratePerSecond: Number(values['col-rate']) }),
      pageCacheKiB: config.storage.pageCacheKiB,
      encryptedPerSec: round(median(of(runs.sealed, 'rps')), 0),
      plainPerSec: round(median(of(runs.clear, 'rps')), 0),
      overhead: round(median(paired('rps', (e, p) => 1 - e / p))),
      encryptedCpuUsPerRequest: median(of(runs.sealed, 'cpuUs')),
      plainCpuUsPerRequest: median(of(runs.clear, 'cpuUs')),
      // Throughput overhead implied by CPU per request: 1 − plainCpu/encryptedCpu.
      cpuOverhead: round(median(paired('cpuUs', (e, p) => 1 - p / e))),
      // A diagnostic, not the verdict: the same with each phase's server CPU per request taken
      // relative to the load generator's, whose work per request is the same for both tables,
      // so a phase that the machine slows down as a whole (other jobs, frequency) cancels out.
      cpuOverheadRelativeToLoadGenerator: round(
        median(
          runs.sealed.map((x, i) => {
            const y = runs.clear[i] ?? {}
            const rel = (r: Record<string, number>) => (r['cpuUs'] ?? 0) / (r['loadCpuUs'] ?? 1)
            return 1 - rel(y) / rel(x)
          }),
        ),
      ),
      encryptedP99Ms: median(of(runs.sealed, 'p99')),
      plainP99Ms: median(of(runs.clear, 'p99')),
      loadAverage1m: round(loadavg()[0] ?? 0, 2),
    }
  } finally {
    await stopChild(server.child)
  }
}

/** Status, body size and body of one GET (to show both tables answer alike). */
function fetchOver(url: string, headers: Record<string, string>, caFile: string): Promise<string> {
  return new Promise((res, rej) => {
    const req = httpsRequest(url, { headers, ca: readFileSync(caFile, 'utf8') }, (r) => {
      let body = ''
      r.on('data', (d: Buffer) => (body += d.toString()))
      r.on('end', () => {
        res(`${String(r.statusCode)} ${String(body.length)} bytes ${body}`)
      })
    })
    req.on('error', rej)
    req.end()
  })
}

// ── run ───────────────────────────────────────────────────────────────────────────────────

const result: Record<string, unknown> = { bench: 'keys' }
try {
  if (ONLY.has('rotate')) {
    log(`a. rotation over ${ENVS} environments…`)
    const hsm = await rotation('pkcs11', 'rsa-2048', ENVS)
    const hsmFieldKeys = await rotation('pkcs11', 'rsa-2048', ENVS, true)
    const local = await rotation('local', 'aes-256', ENVS)
    result['rotation'] = {
      softhsmRsa2048: hsm,
      softhsmRsa2048WithFieldKeys: hsmFieldKeys,
      localAes256: local,
    }
  }
  if (ONLY.has('lock')) {
    log(
      `b. destroy in the token → ${LOCK_ENVS} environments locked (interval ${HEALTH_INTERVAL_S} s)…`,
    )
    const trials = []
    for (let t = 0; t < LOCK_TRIALS; t++) trials.push(await lockAfterDestroy(LOCK_ENVS, t))
    result['lockAfterDestroy'] = {
      environments: LOCK_ENVS,
      healthIntervalSeconds: HEALTH_INTERVAL_S,
      trials: trials.map((t) => ({
        firstLockSeconds: t.firstLockSeconds,
        allLockedSeconds: t.allLockedSeconds,
      })),
      worstAllLockedSeconds: Math.max(...trials.map((t) => t.allLockedSeconds)),
    }
  }
  if (ONLY.has('unwrap')) {
    log('c. unwrap latency…')
    result['unwrap'] = await unwrapLatencies(UNWRAPS)
  }
  if (ONLY.has('columns')) {
    log('d. point GET with two encrypted columns…')
    result['encryptedColumnsPointGet'] = await encryptedColumnsPointGet(
      COL_ROWS,
      COL_ROUNDS,
      COL_SECONDS,
    )
  }
} finally {
  rmSync(root, { recursive: true, force: true })
  token.cleanup()
}
const rotated = result['rotation'] as
  Record<'softhsmRsa2048' | 'softhsmRsa2048WithFieldKeys', { rotateSeconds: number }> | undefined
const columns = result['encryptedColumnsPointGet'] as
  { overhead: number; cpuOverhead: number } | undefined
const lock = result['lockAfterDestroy'] as { worstAllLockedSeconds: number } | undefined
result['targets'] = {
  rotateAtMostSeconds: TARGETS.rotateSeconds,
  rotateMet:
    rotated === undefined ? null : rotated.softhsmRsa2048.rotateSeconds <= TARGETS.rotateSeconds,
  // The same when every environment also holds a field key (cell-level encryption in use).
  rotateWithFieldKeysMet:
    rotated === undefined
      ? null
      : rotated.softhsmRsa2048WithFieldKeys.rotateSeconds <= TARGETS.rotateSeconds,
  lockAtMostSeconds: HEALTH_INTERVAL_S + TARGETS.lockAfterIntervalSeconds,
  lockMet:
    lock === undefined
      ? null
      : lock.worstAllLockedSeconds <= HEALTH_INTERVAL_S + TARGETS.lockAfterIntervalSeconds,
  columnsOverheadAtMost: TARGETS.columnsOverhead,
  // The verdict is on CPU per request: on this shared 2-core machine req/s moves with other
  // jobs' load, CPU µs per request hardly does. Both overheads are reported.
  columnsVerdictBasedOn: 'cpuUsPerRequest',
  columnsMet: columns === undefined ? null : columns.cpuOverhead <= TARGETS.columnsOverhead,
  columnsMetByReqPerSec: columns === undefined ? null : columns.overhead <= TARGETS.columnsOverhead,
}
process.stdout.write(JSON.stringify(result) + '\n')
