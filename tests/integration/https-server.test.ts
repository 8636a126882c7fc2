import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { request, type RequestOptions } from 'node:https'
import { connect } from 'node:tls'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import type { ApiIdentity, ODataHandler } from '../../src/api/context.ts'
import { createApiServer, type ApiServer } from '../../src/api/server.ts'
import { loadOrCreateLocalCa } from '../../src/api/tls/local-ca.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { AppError } from '../../src/shared/errors.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { systemClock } from '../../src/shared/clock.ts'
import type { Principal } from '../../src/identity/principal.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

describe('HTTPS server core', () => {
  const dir = tempDir('sr-https-')
  let app: Strongroom
  let server: ApiServer
  let port = 0
  let ca = ''
  let release: (() => void) | undefined

  const identity: ApiIdentity = {
    verifier: {
      verify: (token) =>
        token === 'good'
          ? Promise.resolve({ kind: 'application', tenantId: '' } as unknown as Principal)
          : Promise.reject(
              new AppError(
                'UNAUTHORIZED',
                'The request needs a valid access token for this environment.',
              ),
            ),
    },
    resolveCaller: () => Promise.resolve({ systemUserId: 'u', businessUnitId: 'b', roles: [] }),
  }
  const odata: ODataHandler = async (_ctx, req) => {
    if (req.path === 'slow') {
      await new Promise<void>((r) => {
        release = r
      })
      return { status: 200, headers: {}, body: { slow: true } }
    }
    if (req.path === 'boom') throw new Error('secret internal detail at /var/lib/x')
    return { status: 200, headers: {}, body: { path: req.path, query: req.query } }
  }

  before(async () => {
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    await createEnvironment(app.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    const credentials = await loadOrCreateLocalCa(join(dir.path, 'tls'), app.sealingKey('tls'), {
      clock: systemClock,
      random: cryptoRandom,
    })
    ca = readFileSync(credentials.caCertFile ?? '', 'utf8')
    server = createApiServer({
      app,
      credentials,
      identity,
      odata,
      clock: systemClock,
      random: cryptoRandom,
      logger: silentLogger,
      bodyLimit: 1024 * 1024,
    })
    port = (await server.listen('127.0.0.1', 0)).address.port
  })
  after(async () => {
    await server.close()
    await app.close()
    dir.remove()
  })

  const send = (path: string, init: RequestOptions & { body?: string } = {}): Promise<Res> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          servername: 'localhost',
          port,
          path,
          ca,
          ...init,
          headers: { authorization: 'Bearer good', ...(init.headers as Record<string, string>) },
        },
        (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
          })
        },
      )
      req.on('error', reject)
      req.end(init.body)
    })

  it('serves over TLS with a certificate for localhost from the local CA, TLS 1.3 preferred', async () => {
    const socket = connect({ host: '127.0.0.1', servername: 'localhost', port, ca })
    await new Promise<void>((r, j) => {
      socket.once('secureConnect', r)
      socket.once('error', j)
    })
    assert.equal(socket.getProtocol(), 'TLSv1.3')
    assert.equal(socket.authorized, true)
    socket.destroy()
  })

  it('refuses TLS 1.1 and TLS 1.2 suites without forward secrecy', async () => {
    for (const opts of [
      { maxVersion: 'TLSv1.1' as const, minVersion: 'TLSv1' as const },
      { maxVersion: 'TLSv1.2' as const, ciphers: 'AES128-GCM-SHA256' },
    ]) {
      const socket = connect({ host: '127.0.0.1', servername: 'localhost', port, ca, ...opts })
      const outcome = await new Promise<string>((r) => {
        socket.once('secureConnect', () => {
          r('connected')
        })
        socket.once('error', () => {
          r('refused')
        })
      })
      socket.destroy()
      assert.equal(outcome, 'refused', JSON.stringify(opts))
    }
  })

  it('has no plain-HTTP endpoint', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
        resolve(`http ${String(res.statusCode)}`)
      })
      req.on('error', () => {
        resolve('refused')
      })
      req.end()
    })
    assert.notEqual(outcome, 'http 200')
  })

  it('sends HSTS, nosniff and a request id on every response', async () => {
    const r = await send('/acme/prod/api/data/v9.2/accounts')
    assert.equal(r.status, 200)
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains')
    assert.equal(r.headers['x-content-type-options'], 'nosniff')
    assert.match(String(r.headers['x-ms-service-request-id']), /^[0-9a-f-]{36}$/)
    assert.equal(r.headers['odata-version'], '4.0')
    // Idle keep-alive connections are kept 75 s (Node's default of 5 s would make busy
    // clients reconnect and pay a TLS handshake over and over).
    assert.equal(r.headers['keep-alive'], 'timeout=75')
  })

  it('routes v9.0, v9.1 and v9.2, and decodes the query the OData way (+ stays +)', async () => {
    for (const v of ['v9.0', 'v9.1', 'v9.2']) {
      const r = await send(`/acme/prod/api/data/${v}/accounts?$filter=x%20eq%201&a=1+2`)
      assert.deepEqual(JSON.parse(r.body), {
        path: 'accounts',
        query: { $filter: 'x eq 1', a: '1+2' },
      })
    }
    const r = await send('/acme/prod/api/data/v8.0/accounts')
    assert.equal(r.status, 404)
    // A percent-encoded environment name is not the environment's URL.
    const encoded = await send('/ac%6De/prod/api/data/v9.2/accounts')
    assert.equal(encoded.status, 404)
  })

  it('401 with WWW-Authenticate for no token, a bad token and an unknown tenant alike', async () => {
    const bodies = new Set<string>()
    for (const [path, auth] of [
      ['/acme/prod/api/data/v9.2/accounts', ''],
      ['/acme/prod/api/data/v9.2/accounts', 'Bearer bad'],
      ['/acme/prod/api/data/v9.2/accounts', 'Basic Z29vZA=='],
      ['/nobody/prod/api/data/v9.2/accounts', 'Bearer good'],
    ] as const) {
      const r = await send(path, { headers: { authorization: auth } })
      assert.equal(r.status, 401, `${path} ${auth}`)
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="strongroom"')
      bodies.add(r.body)
    }
    assert.equal(bodies.size, 1, 'indistinguishable')
  })

  it('404 for an unknown environment once authenticated; 404 for unknown routes', async () => {
    const r = await send('/acme/nope/api/data/v9.2/accounts')
    assert.equal(r.status, 404)
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, '0x80040217')
    const r2 = await send('/nothing/here')
    assert.equal(r2.status, 404)
  })

  it('414 for a URL over 32 KB, 413 for a body over the limit', async () => {
    const long = await send(`/acme/prod/api/data/v9.2/accounts?$filter=${'a'.repeat(33_000)}`)
    assert.equal(long.status, 414)
    const big = await send('/acme/prod/api/data/v9.2/accounts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    })
    assert.equal(big.status, 413)
  })

  it('400 for malformed JSON and for prototype poisoning', async () => {
    for (const body of ['{"name":', '{"__proto__":{"x":1}}']) {
      const r = await send('/acme/prod/api/data/v9.2/accounts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      assert.equal(r.status, 400, body)
      assert.ok((JSON.parse(r.body) as { error: { code: string } }).error.code.startsWith('0x'))
    }
  })

  it('an unexpected error is a generic 500 with the request id and no internals', async () => {
    const r = await send('/acme/prod/api/data/v9.2/boom')
    assert.equal(r.status, 500)
    const body = JSON.parse(r.body) as { error: { code: string; message: string } }
    assert.equal(
      body.error.message,
      `An unexpected error occurred. Request id: ${String(r.headers['x-ms-service-request-id'])}.`,
    )
    assert.ok(!r.body.includes('secret') && !r.body.includes('/var/lib'))
  })

  it('drains in-flight requests on shutdown', async () => {
    const slow = send('/acme/prod/api/data/v9.2/slow')
    while (release === undefined) {
      await new Promise((r) => {
        setTimeout(r, 5)
      })
    }
    const closing = server.close()
    release()
    const r = await slow
    assert.equal(r.status, 200)
    assert.deepEqual(JSON.parse(r.body), { slow: true })
    await closing
  })
})
