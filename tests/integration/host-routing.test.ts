import assert from 'node:assert/strict'
import type { LookupFunction } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import { cliJson, tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'

// Every name resolves to loopback: the test needs no DNS for *.acme.localhost.
const loopback: LookupFunction = (_host, options, callback) => {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }])
  else callback(null, '127.0.0.1', 4)
}

interface Answer {
  status: number
  body: string
}

// server.routing = "host": environments are addressed as https://<env>.<tenant>.<host>/ (like
// Dataverse's https://<org>.crm.dynamics.com/), with certificates for *.<tenant>.<host> issued
// by the local CA on demand; identity stays at <publicUrl>/<tenant>/oauth2.
describe('host-based routing', () => {
  const dir = tempDir('sr-host-')
  const data = join(dir.path, 'data')
  let app: Strongroom
  let running: RunningServer
  let ca = ''
  let token = ''
  let port = 0

  const call = (
    url: string,
    options: { auth?: string; method?: string; body?: string; strict?: boolean } = {},
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        url,
        {
          method: options.method ?? 'GET',
          ca,
          lookup: loopback,
          agent: false,
          rejectUnauthorized: options.strict ?? true,
          headers: {
            ...(options.auth === undefined ? {} : { authorization: options.auth }),
            ...(options.body === undefined
              ? {}
              : { 'content-type': 'application/x-www-form-urlencoded' }),
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
      req.end(options.body)
    })

  const host = (env: string, tenant = 'acme') =>
    `https://${env}.${tenant}.localhost:${String(port)}`

  before(async () => {
    await cliJson(data, ['init'])
    const settingsFile = join(data, 'strongroom.json')
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
      server: Record<string, unknown>
    }
    settings.server['routing'] = 'host'
    settings.server['port'] = 0
    writeFileSync(settingsFile, JSON.stringify(settings))
    app = await openApp(data)
    running = await startServer(app, testDeps, { host: '127.0.0.1', port: 0 })
    port = running.port
    ca = readFileSync(running.caCertFile ?? '', 'utf8')
    await cliJson(data, ['tenant', 'create', 'acme'])
    await cliJson(data, ['env', 'create', 'prod', '--tenant', 'acme'])
    await cliJson(data, ['env', 'create', 'test', '--tenant', 'acme'])
    const client = await app.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'ci',
      role: 'System Administrator',
    })
    assert.equal(client.resource, `${host('prod')}/`)
    // The token endpoint stays on the base host, by path.
    assert.equal(client.tokenEndpoint, `https://localhost:${String(port)}/acme/oauth2/token`)
    const basic = Buffer.from(
      `${client.clientId}:${Buffer.from(client.clientSecret.expose()).toString()}`,
    ).toString('base64')
    const answer = await call(client.tokenEndpoint, {
      method: 'POST',
      auth: `Basic ${basic}`,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: client.resource,
      }).toString(),
    })
    assert.equal(answer.status, 200, answer.body)
    token = (JSON.parse(answer.body) as { access_token: string }).access_token
  })
  after(async () => {
    await running.stop()
    await app.close()
    dir.remove()
  })

  it('env show prints the host-based URL', async () => {
    const shown = await cliJson<{ url: string; webApiUrl: string }>(data, [
      'env',
      'show',
      'prod',
      '--tenant',
      'acme',
    ])
    // The CLI reads the configured port (0 here, so the default form without the bound port).
    assert.match(shown.url, /^https:\/\/prod\.acme\.localhost(?::\d+)?\/$/)
    assert.equal(shown.webApiUrl, `${shown.url}api/data/v9.2/`)
  })

  it('serves the environment at its host, over a certificate for *.<tenant>.<host>', async () => {
    const who = await call(`${host('prod')}/api/data/v9.2/WhoAmI`, { auth: `Bearer ${token}` })
    assert.equal(who.status, 200, who.body)
    const created = await call(`${host('prod')}/api/data/v9.2/accounts?$select=name`, {
      auth: `Bearer ${token}`,
    })
    assert.equal(created.status, 200)
    assert.match(
      created.body,
      new RegExp(
        `"@odata.context":"${host('prod').replace(/\./g, '\\.')}/api/data/v9\\.2/\\$metadata#accounts`,
      ),
    )
  })

  it('answers only the canonical form: the path form is not an API route', async () => {
    const viaPath = await call(`https://localhost:${String(port)}/acme/prod/api/data/v9.2/WhoAmI`, {
      auth: `Bearer ${token}`,
    })
    assert.equal(viaPath.status, 404)
  })

  it("refuses a token on another environment's host, and unknown or malformed hosts", async () => {
    const other = await call(`${host('test')}/api/data/v9.2/WhoAmI`, { auth: `Bearer ${token}` })
    assert.equal(other.status, 401)
    const unknownEnv = await call(`${host('nope')}/api/data/v9.2/WhoAmI`, {
      auth: `Bearer ${token}`,
    })
    assert.ok(unknownEnv.status === 401 || unknownEnv.status === 404, String(unknownEnv.status))
    // No certificate is issued for a tenant that doesn't exist: the TLS check fails.
    await assert.rejects(
      call(`${host('prod', 'ghost')}/api/data/v9.2/WhoAmI`, { auth: `Bearer ${token}` }),
      /altnames|certificate/i,
    )
    // Deeper names aren't environments (and no certificate covers them).
    const deep = await call(`https://x.prod.acme.localhost:${String(port)}/api/data/v9.2/WhoAmI`, {
      auth: `Bearer ${token}`,
      strict: false,
    })
    assert.equal(deep.status, 404)
  })
})
