import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { connect } from 'node:tls'
import { after, before, describe, it } from 'node:test'
import { createBatchHandler } from '../../src/api/batch/index.ts'
import type { ODataHandler, ODataResponse } from '../../src/api/context.ts'
import { createODataHandler } from '../../src/api/odata/index.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import type { Strongroom } from '../../src/app.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { parseQueryOptions } from '../../src/query/index.ts'
import { systemClock } from '../../src/shared/clock.ts'
import type { EnvironmentId } from '../../src/shared/ids.ts'
import { capturingLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { openBatchFixture, readBatchResponse, type BatchFixture } from '../helpers/batch-fixture.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'
import { fetchClientToken } from '../helpers/client-token.ts'

const CRLF = '\r\n'

const part = (line: string, body?: unknown, headers: string[] = []) => [
  'Content-Type: application/http',
  'Content-Transfer-Encoding: binary',
  '',
  line,
  ...(body === undefined ? [] : ['Content-Type: application/json']),
  ...headers,
  '',
  ...(body === undefined ? [] : [JSON.stringify(body)]),
]
const changeset = (name: string, ...parts: string[][]) => [
  `Content-Type: multipart/mixed; boundary=${name}`,
  '',
  ...parts.flatMap((p) => [`--${name}`, ...p]),
  `--${name}--`,
]
const batchBody = (...parts: string[][]) =>
  [...parts.flatMap((p) => ['--batch_1', ...p]), '--batch_1--', ''].join(CRLF)

const countStarting = async (app: Strongroom, env: EnvironmentId, prefix: string) => {
  const table = await app.records.getTable(env, 'account')
  return app.records.countRecords(
    env,
    'account',
    parseQueryOptions({ $filter: `startswith(name,'${prefix}')` }, table),
  )
}

describe('$batch limits', () => {
  let f: BatchFixture
  let api: string
  const deps = { clock: systemClock, random: cryptoRandom, logger: capturingLogger() }
  /** A batch handler over the fixture's environment with the given limits and part handler. */
  const handler = (
    limits: Parameters<typeof createBatchHandler>[0]['limits'],
    wrap: (h: ODataHandler) => ODataHandler = (h) => h,
  ) =>
    createBatchHandler({
      ...deps,
      records: f.app.records,
      handlerFor: (records) => wrap(createODataHandler({ ...deps, records })),
      ...(limits === undefined ? {} : { limits }),
    })
  const post = (
    h: ODataHandler,
    body: string,
    extra: Record<string, string> = {},
    signal?: AbortSignal,
  ) =>
    h(f.ctx, {
      method: 'POST',
      path: '$batch',
      query: {},
      headers: { 'content-type': 'multipart/mixed; boundary=batch_1', ...extra },
      body,
      ...(signal === undefined ? {} : { signal }),
    })

  before(async () => {
    f = await openBatchFixture()
    api = f.ctx.webApiUrl
    for (let i = 0; i < 20; i++) {
      await f.app.records.createRecord(
        f.env.id,
        'account',
        { name: `Big ${String(i)}`, description: 'd'.repeat(2000) },
        { actorId: f.ids.systemUserId },
      )
    }
  })
  after(async () => {
    await f.close()
  })

  it('defaults to a 64 MiB response limit', async () => {
    const { DEFAULT_BATCH_LIMITS } = await import('../../src/api/batch/index.ts')
    assert.equal(DEFAULT_BATCH_LIMITS.maxResponseBytes, 64 * 1024 * 1024)
  })

  it('stops at the request whose response crosses the limit, with a clear error', async () => {
    const h = handler({ maxResponseBytes: 100_000 })
    // Each GET answers ~45 KB (20 rows of 2,000 characters): the third crosses 100 KB.
    const get = part(`GET ${api}accounts?$select=name,description HTTP/1.1`)
    for (const prefer of [undefined, 'odata.continue-on-error']) {
      const res = await post(
        h,
        batchBody(get, get, get, get),
        prefer === undefined ? {} : { prefer },
      )
      assert.equal(res.status, 413)
      const parts = readBatchResponse(res)
      assert.deepEqual(
        parts.map((p) => p.status),
        [200, 200, 413],
      )
      const error = JSON.parse(parts[2]?.body ?? '{}') as {
        error: { code: string; message: string }
      }
      assert.equal(error.error.code, '0x80040216')
      assert.match(error.error.message, /exceed 100000 bytes; the batch stopped here/)
      assert.ok(Buffer.byteLength(String(res.body)) < 100_000 + 2_000)
    }
  })

  it('rolls back a change set whose responses cross the limit; what ran before stands', async () => {
    const h = handler({ maxResponseBytes: 30_000 })
    const create = (name: string) =>
      part(`POST ${api}accounts HTTP/1.1`, { name, description: 'x'.repeat(2000) }, [
        'Prefer: return=representation',
      ])
    const res = await post(
      h,
      batchBody(
        changeset('cs_1', create('Sized A1'), create('Sized A2')),
        changeset('cs_2', ...Array.from({ length: 12 }, (_, i) => create(`Sized B${String(i)}`))),
        changeset('cs_3', create('Sized C1')),
      ),
    )
    assert.equal(res.status, 413)
    const parts = readBatchResponse(res)
    assert.deepEqual(
      parts.map((p) => p.status),
      [201, 201, 413],
    )
    assert.equal(await countStarting(f.app, f.env.id, 'Sized A'), 2)
    assert.equal(await countStarting(f.app, f.env.id, 'Sized B'), 0)
    assert.equal(await countStarting(f.app, f.env.id, 'Sized C'), 0)
  })

  it('stops when the client goes away: the change set in progress rolls back, nothing more runs', async () => {
    const controller = new AbortController()
    let seen = 0
    // The client hangs up while the second change set's second request runs.
    const h = handler(undefined, (inner) => async (ctx, req) => {
      const res: ODataResponse = await inner(ctx, req)
      if (++seen === 4) controller.abort()
      return res
    })
    const create = (name: string) => part(`POST ${api}accounts HTTP/1.1`, { name })
    await post(
      h,
      batchBody(
        changeset('cs_1', create('Gone A1'), create('Gone A2')),
        changeset('cs_2', create('Gone B1'), create('Gone B2'), create('Gone B3')),
        create('Gone C1'),
      ),
      {},
      controller.signal,
    )
    assert.equal(seen, 4)
    assert.equal(await countStarting(f.app, f.env.id, 'Gone A'), 2)
    assert.equal(await countStarting(f.app, f.env.id, 'Gone B'), 0)
    assert.equal(await countStarting(f.app, f.env.id, 'Gone C'), 0)
  })
})

// The real server over TLS: the client destroys its socket in the middle of a long batch.
describe('$batch when the client disconnects mid-batch (real TLS server)', () => {
  const dir = tempDir('sr-batch-abort-')
  const logger = capturingLogger()
  let app: Strongroom
  let running: RunningServer
  let ca = ''
  let token = ''
  let env: EnvironmentId
  const unhandled: unknown[] = []
  const onUnhandled = (e: unknown) => unhandled.push(e)

  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    process.on('uncaughtException', onUnhandled)
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    await createEnvironment(app.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    env = (await findEnvironment(app.control, 'acme', 'prod')).id
    running = await startServer(app, { ...testDeps, logger }, { host: '127.0.0.1', port: 0 })
    ca = readFileSync(running.caCertFile ?? '', 'utf8')
    const client = await app.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'ci',
      role: 'System Administrator',
    })
    const secret = Buffer.from(client.clientSecret.expose()).toString()
    token = await fetchClientToken({
      tokenEndpoint: client.tokenEndpoint.replace(/^https:\/\/localhost:\d+/, running.baseUrl),
      clientId: client.clientId,
      clientSecret: secret,
      resource: `${running.baseUrl}/acme/prod/`,
      ca,
    })
  })
  after(async () => {
    process.off('unhandledRejection', onUnhandled)
    process.off('uncaughtException', onUnhandled)
    await running.stop()
    await app.close()
    dir.remove()
  })

  it('stops the batch, leaves no change set half-applied, and answers the next request', async () => {
    const api = `${running.baseUrl}/acme/prod/api/data/v9.2/`
    const SIZE = 5
    const SETS = 200 // 1,000 requests, the Dataverse maximum
    const body = batchBody(
      ...Array.from({ length: SETS }, (_, s) =>
        changeset(
          `cs_${String(s)}`,
          ...Array.from({ length: SIZE }, (_, i) =>
            part(`POST ${api}accounts HTTP/1.1`, {
              name: `Abort ${String(s)}-${String(i)}`,
              description: 'z'.repeat(500),
            }),
          ),
        ),
      ),
    )
    const socket = connect({
      host: '127.0.0.1',
      port: running.port,
      servername: 'localhost',
      ca,
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve)
      socket.once('error', reject)
    })
    socket.on('error', () => undefined)
    const bytes = Buffer.from(body)
    socket.write(
      [
        'POST /acme/prod/api/data/v9.2/$batch HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Content-Type: multipart/mixed; boundary=batch_1',
        `Content-Length: ${String(bytes.length)}`,
        '',
        '',
      ].join(CRLF),
    )
    socket.write(bytes)
    // Wait until the first change sets have committed, then hang up mid-batch.
    const started = Date.now()
    while ((await countStarting(app, env, 'Abort')) === 0) {
      if (Date.now() - started > 20_000) assert.fail('the batch never started')
      await new Promise((r) => setTimeout(r, 2))
    }
    socket.destroy()
    // Let the server notice and stop: the count settles.
    let last = -1
    let count = await countStarting(app, env, 'Abort')
    while (count !== last) {
      last = count
      await new Promise((r) => setTimeout(r, 200))
      count = await countStarting(app, env, 'Abort')
    }
    assert.ok(count > 0)
    assert.ok(count < SETS * SIZE, `the batch ran to the end (${String(count)} records)`)
    assert.equal(count % SIZE, 0, `a change set was half-applied (${String(count)} records)`)

    // The server still answers.
    const who = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${api}WhoAmI`,
        { ca, headers: { authorization: `Bearer ${token}` } },
        (r) => {
          r.resume()
          r.on('end', () => {
            resolve(r.statusCode ?? 0)
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(who, 200)
    assert.deepEqual(unhandled, [])
    assert.deepEqual(
      logger.entries.filter((e) => e.level === 'error'),
      [],
    )
  })
})
