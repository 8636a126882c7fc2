import assert from 'node:assert/strict'
import { request } from 'node:https'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import {
  disableEnvironment,
  enableEnvironment,
} from '../../src/control/environments/change-environment-state.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'
import { fetchClientToken } from '../helpers/client-token.ts'

// The server caches tenant, token, environment and caller lookups keyed by database change
// stamps. These tests make every change from ANOTHER connection (as the CLI or another node
// would) and require it to take effect on the very next request.
describe('request caches never serve stale security decisions', () => {
  const dir = tempDir('sr-caches-')
  let server: Strongroom
  let running: RunningServer
  let other: Strongroom
  let ca = ''
  let token = ''
  let clientId = ''

  const call = (method: string, path: string, body?: string, auth = token) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${running.baseUrl}${path}`,
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${auth}`,
            ...(body === undefined
              ? {}
              : {
                  'content-type': body.startsWith('{')
                    ? 'application/json'
                    : 'application/x-www-form-urlencoded',
                }),
          },
        },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text })
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  before(async () => {
    server = await openApp(dir.path, { init: true })
    await createTenant(server.control, { name: 'acme', actor: 'test' })
    await createEnvironment(server.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    running = await startServer(server, testDeps, { host: '127.0.0.1', port: 0 })
    ca = readFileSync(running.caCertFile ?? '', 'utf8')
    other = await openApp(dir.path)
    const app = await other.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'ci',
      role: 'System Administrator',
    })
    clientId = app.clientId
    const secret = Buffer.from(app.clientSecret.expose()).toString()
    token = await fetchClientToken({
      tokenEndpoint: app.tokenEndpoint.replace(/^https:\/\/localhost:\d+/, running.baseUrl),
      clientId: clientId,
      clientSecret: secret,
      resource: `${running.baseUrl}/acme/prod/`,
      ca,
    })
  })
  after(async () => {
    await running.stop()
    await other.close()
    await server.close()
    dir.remove()
  })

  const whoAmI = () => call('GET', '/acme/prod/api/data/v9.2/WhoAmI')

  it('a disable by another process refuses the next request; enabling restores it', async () => {
    assert.equal((await whoAmI()).status, 200)
    assert.equal((await whoAmI()).status, 200) // cached now
    await disableEnvironment(other.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    assert.equal((await whoAmI()).status, 409)
    await enableEnvironment(other.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    assert.equal((await whoAmI()).status, 200)
  })

  it("a token for tenant A's environment gets nothing from tenant B's, nor from A's other environment", async () => {
    await createTenant(other.control, { name: 'globex', actor: 'test' })
    await createEnvironment(other.control, { tenant: 'globex', name: 'prod', actor: 'test' })
    await createEnvironment(other.control, { tenant: 'acme', name: 'dev', actor: 'test' })
    const foreign = await call('GET', '/globex/prod/api/data/v9.2/accounts')
    const sibling = await call('GET', '/acme/dev/api/data/v9.2/accounts')
    assert.equal(foreign.status, 401)
    assert.equal(sibling.status, 401, 'the audience is the environment, not the tenant')
    assert.equal(foreign.body, sibling.body, 'indistinguishable')
    assert.doesNotMatch(foreign.body, /value|accountid/)
    assert.equal((await whoAmI()).status, 200)
  })

  it('a user disabled in the environment while its database was closed is not served from cache', async () => {
    const env = (await findEnvironment(server.control, 'acme', 'prod')).id
    // A fresh connection (no local writes yet), then the caller is cached against it.
    server.databases.evict(env)
    assert.equal((await whoAmI()).status, 200) // opens the database (cold: not cached)
    assert.equal((await whoAmI()).status, 200) // cached under this connection's stamp
    await other.databases.use(env, (db) =>
      db
        .updateTable('systemuser')
        .set({ isdisabled: 1 })
        .where('applicationid', '=', clientId)
        .execute(),
    )
    server.databases.evict(env) // the handle is closed (LRU), then reopened by the next request
    assert.equal((await whoAmI()).status, 401) // cold: reopens the database
    assert.equal((await whoAmI()).status, 401, 'a reopened connection must not repeat an old stamp')
    await other.databases.use(env, (db) =>
      db
        .updateTable('systemuser')
        .set({ isdisabled: 0 })
        .where('applicationid', '=', clientId)
        .execute(),
    )
    assert.equal((await whoAmI()).status, 200)
  })

  it('impersonating an unknown user is refused (not silently ignored), at the top level and in $batch parts', async () => {
    const top = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${running.baseUrl}/acme/prod/api/data/v9.2/WhoAmI`,
        {
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            MSCRMCallerID: '00000000-0000-0000-0000-000000000001',
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(top, 400)
    const batch = [
      '--batch_x',
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      'GET WhoAmI HTTP/1.1',
      'CallerObjectId: 00000000-0000-0000-0000-000000000001',
      '',
      '',
      '--batch_x--',
      '',
    ].join('\r\n')
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${running.baseUrl}/acme/prod/api/data/v9.2/$batch`,
        {
          method: 'POST',
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'multipart/mixed; boundary=batch_x',
          },
        },
        (res) => {
          let t = ''
          res.on('data', (d: Buffer) => (t += d.toString()))
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: t })
          })
        },
      )
      req.on('error', reject)
      req.end(batch)
    })
    assert.match(r.body, /HTTP\/1\.1 400/)
    assert.match(r.body, /can't be impersonated/)
    assert.doesNotMatch(r.body, /UserId/)
  })

  it('the Bearer scheme is case-insensitive (RFC 7235)', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${running.baseUrl}/acme/prod/api/data/v9.2/WhoAmI`,
        { ca, headers: { authorization: `bearer ${token}` } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(r, 200)
  })

  it('a principal from an external issuer maps to no application user', async () => {
    const env = (await findEnvironment(server.control, 'acme', 'prod')).id
    const principal = await server.identity.verifier.verify(token, {
      tenantId: (await findEnvironment(server.control, 'acme', 'prod')).tenantId,
      audience: `${running.baseUrl}/acme/prod/`,
    })
    await server.identity.resolveCaller(env, principal)
    await assert.rejects(
      server.identity.resolveCaller(env, { ...principal, issuerKind: 'external' }),
      {
        code: 'UNAUTHORIZED',
      },
    )
  })

  it('a deleted application user is refused on the next request', async () => {
    assert.equal((await whoAmI()).status, 200)
    await other.identity.deleteApplicationUser({ tenant: 'acme', environment: 'prod', clientId })
    assert.equal((await whoAmI()).status, 401)
  })
})
