import { join } from 'node:path'
import type { Strongroom } from '../../src/app.ts'
import type { ApiRequestContext, Caller, ODataResponse } from '../../src/api/context.ts'
import { toErrorResponse } from '../../src/api/errors.ts'
import { createODataHandler, type ODataLimits } from '../../src/api/odata/index.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import type { Environment } from '../../src/control/environments/environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import type { Principal } from '../../src/identity/principal.ts'
import type { ProvisionedIds } from '../../src/records/index.ts'
import { systemClock } from '../../src/shared/clock.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { tempDir } from './cli.ts'
import { openApp } from './open-app.ts'

export const WEB_API = 'https://localhost:8443/acme/prod/api/data/v9.2/'

export interface CallOptions {
  readonly query?: Record<string, string>
  readonly headers?: Record<string, string>
  readonly body?: unknown
  readonly caller?: Caller
}

/** A response, or the error response server.ts would send for a thrown error. */
export interface Answer extends ODataResponse {
  readonly json: Record<string, unknown>
  readonly error?: { code: string; message: string }
}

export interface ODataFixture {
  readonly app: Strongroom
  readonly env: Environment
  readonly ids: ProvisionedIds
  readonly admin: Caller
  call(method: string, path: string, options?: CallOptions): Promise<Answer>
  close(): Promise<void>
}

/** A fresh data directory, tenant acme, environment prod, and the OData handler over it. */
export async function odataFixture(limits?: Partial<ODataLimits>): Promise<ODataFixture> {
  const dir = tempDir('sr-odata-')
  const app = await openApp(join(dir.path, 'data'), { init: true })
  await createTenant(app.control, { name: 'acme', actor: 'test' })
  const env = await createEnvironment(app.control, { tenant: 'acme', name: 'prod', actor: 'test' })
  const ids = await app.records.readProvisionedIds(env.id)
  const admin: Caller = {
    systemUserId: ids.systemUserId,
    businessUnitId: ids.businessUnitId,
    roles: ['System Administrator'],
  }
  const handler = createODataHandler({
    records: app.records,
    clock: systemClock,
    random: cryptoRandom,
    logger: silentLogger,
    ...(limits === undefined ? {} : { limits }),
  })
  const principal: Principal = {
    kind: 'application',
    tenantId: env.tenantId,
    issuer: 'https://localhost:8443/acme/oauth2',
    issuerKind: 'builtin',
    subject: 'test',
    clientId: 'test',
    audience: 'https://localhost:8443/acme/prod/',
    issuedAt: 0,
    expiresAt: 0,
    methods: [],
  }
  return {
    app,
    env,
    ids,
    admin,
    async call(method, path, options = {}) {
      const ctx: ApiRequestContext = {
        requestId: 'test',
        environment: env,
        principal,
        caller: options.caller ?? admin,
        environmentUrl: 'https://localhost:8443/acme/prod/',
        webApiUrl: WEB_API,
        version: 'v9.2',
      }
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v
      try {
        const res = await handler(ctx, {
          method,
          path,
          query: options.query ?? {},
          headers,
          body: options.body,
        })
        const json =
          typeof res.body === 'object' && res.body !== null
            ? (res.body as Record<string, unknown>)
            : {}
        return { ...res, json }
      } catch (e) {
        const { status, body } = toErrorResponse(e, 'test')
        return { status, headers: {}, body, json: body, error: body.error }
      }
    },
    async close() {
      await app.close()
      dir.remove()
    },
  }
}

/** The id in an OData-EntityId header. */
export function entityIdOf(answer: Answer): string {
  const header = answer.headers['OData-EntityId'] ?? ''
  const m = /\(([0-9a-f-]{36})\)$/.exec(header)
  if (m?.[1] === undefined) throw new Error(`no OData-EntityId in ${JSON.stringify(answer)}`)
  return m[1]
}
