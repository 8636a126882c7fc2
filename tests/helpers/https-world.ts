import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { fetchClientToken } from './client-token.ts'
import { openApp, testDeps } from './open-app.ts'

/** A response of HttpsWorld.send: status, body text and headers. */
export interface HttpsAnswer {
  readonly status: number
  readonly body: string
  readonly headers: Record<string, string>
}

/** An application user of the world: its systemuser id and client credentials. */
export interface WorldApp {
  readonly userId: string
  readonly clientId: string
  readonly clientSecret: string
  readonly tokenEndpoint: string
}

/**
 * A real `strongroom serve` in this process over TLS on a loopback port: tenant `acme`,
 * environment `prod`, and one application user per (name, role) with a client-credentials token.
 */
export interface HttpsWorld {
  readonly server: Strongroom
  readonly running: RunningServer
  /** The local CA's certificate, trusted by `send`. */
  readonly ca: string
  readonly apps: Readonly<Record<string, WorldApp>>
  /** The systemuser id of each application user, by name. */
  readonly user: Readonly<Record<string, string>>
  /** A token of each application user, by name (refresh with `fetchToken`). */
  readonly token: Record<string, string>
  /** The Web API base of acme/prod, ending in `/api/data/v9.2/`. */
  readonly webApi: string
  /** One HTTPS request trusting the world's CA. */
  send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpsAnswer>
  /** A new token for an application user of the world (its current claims). */
  fetchToken(name: string): Promise<string>
  stop(): Promise<void>
}

export async function startHttpsWorld(
  dataDir: string,
  apps: readonly (readonly [name: string, role: string])[],
): Promise<HttpsWorld> {
  const server = await openApp(dataDir, { init: true })
  await createTenant(server.control, { name: 'acme', actor: 'test' })
  await createEnvironment(server.control, { tenant: 'acme', name: 'prod', actor: 'test' })
  const running = await startServer(server, testDeps, { host: '127.0.0.1', port: 0 })
  const ca = readFileSync(running.caCertFile ?? '', 'utf8')
  const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    new Promise<HttpsAnswer>((resolve, reject) => {
      const req = request(url, { method, ca, headers }, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            headers: res.headers as Record<string, string>,
          })
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  const created: Record<string, WorldApp> = {}
  const fetchToken = (name: string): Promise<string> => {
    const app = created[name]
    if (app === undefined) return Promise.reject(new Error(`no application user ${name}`))
    return fetchClientToken({
      tokenEndpoint: app.tokenEndpoint.replace(/^https:\/\/localhost:\d+/, running.baseUrl),
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      resource: `${running.baseUrl}/acme/prod/`,
      ca,
    })
  }
  const user: Record<string, string> = {}
  const token: Record<string, string> = {}
  for (const [name, role] of apps) {
    const app = await server.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name,
      role,
    })
    created[name] = {
      userId: app.applicationUserId,
      clientId: app.clientId,
      clientSecret: Buffer.from(app.clientSecret.expose()).toString(),
      tokenEndpoint: app.tokenEndpoint,
    }
    user[name] = app.applicationUserId
    token[name] = await fetchToken(name)
  }
  return {
    server,
    running,
    ca,
    apps: created,
    user,
    token,
    webApi: `${running.baseUrl}/acme/prod/api/data/v9.2/`,
    send,
    fetchToken,
    async stop() {
      await running.stop()
      await server.close()
    },
  }
}
