import { hash } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Strongroom } from '../app.ts'
import { ensureUsable, findEnvironment } from '../control/environments/environment.ts'
import type { Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { Random } from '../shared/random.ts'
import type { Caller } from '../authz/caller.ts'
import type { ImpersonationTarget } from '../identity/impersonation-target.ts'
import type { Environment } from '../control/environments/environment.ts'
import {
  environmentOfHost,
  environmentUrl,
  groupSetKey,
  MAX_TOKEN_LENGTH,
} from '../identity/index.ts'
import { Lru } from '../shared/lru.ts'
import type { Principal } from '../identity/principal.ts'
import type { TenantId } from '../shared/ids.ts'
import { API_VERSIONS, type ApiIdentity, type ApiVersion, type ODataHandler } from './context.ts'
import { StampedCache } from './stamped-cache.ts'
import { fromFrameworkError, toErrorResponse } from './errors.ts'
import { parseImpersonation } from './impersonation.ts'
import { parseQueryString } from './query-string.ts'
import { publicBaseUrl } from './urls.ts'
import type { ServerCredentials } from './tls/local-ca.ts'
import { HSTS, TLS_CIPHERS, TLS_MIN_VERSION } from './tls/tls-options.ts'

/** dataverse-spec §7: GET URLs up to 32 KB. Node's default header limit (16 KiB) is raised. */
export const MAX_URL_LENGTH = 32_768
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024
/** Idle keep-alive connections stay open this long (clients reuse them across requests). */
const KEEP_ALIVE_MS = 75_000

export interface ApiServerOptions {
  readonly app: Strongroom
  readonly credentials: ServerCredentials
  readonly identity: ApiIdentity
  readonly odata: ODataHandler
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
  /** Overrides config.server.publicUrl; default https://localhost:<bound port>. */
  readonly publicUrl?: string
  readonly bodyLimit?: number
  readonly requestTimeoutMs?: number
}

export interface ApiServer {
  readonly fastify: FastifyInstance
  /** Starts listening; resolves with the bound address and the public base URL. */
  listen(host: string, port: number): Promise<{ address: AddressInfo; baseUrl: string }>
  /** The public base URL without a trailing slash, once listening. */
  readonly baseUrl: string
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const OIDC_PATH = /^\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\/oauth2(?:[/?]|$)/

/**
 * The HTTPS server: TLS only (no plain-HTTP data endpoint), the request pipeline of DESIGN
 * ("authenticate → environment → lock check → execute"), one error mapping for every route.
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const { app, credentials, identity, odata, logger } = options
  let baseUrl =
    options.publicUrl ??
    (app.config.server.publicUrl === undefined ? '' : publicBaseUrl(app.config))
  const routing = app.config.server.routing
  // One URL per environment, the same the identity domain puts in tokens' audience.
  const environmentUrlOf = (tenant: string, env: string): string =>
    environmentUrl(baseUrl, tenant, env, routing)
  const caches = {
    tenants: new StampedCache<string | null>(1024),
    principals: new StampedCache<Principal>(10_000),
    environments: new StampedCache<Environment>(10_000),
    callers: new StampedCache<Caller>(10_000),
  }

  /** The tenant id of a name, cached under the control-plane stamp; null when there is none. */
  const tenantIdOf = async (name: string, controlStamp: string): Promise<string | null> => {
    let tenantId = caches.tenants.get(name, controlStamp)
    if (tenantId === undefined) {
      const row = await app.control.db
        .selectFrom('tenants')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirst()
      tenantId = row?.id ?? null
      caches.tenants.set(name, controlStamp, tenantId)
    }
    return tenantId
  }

  /**
   * Host routing with the local CA: a certificate for `*.<tenant>.<host>` issued when a client
   * first asks for a name under it (SNI), for existing tenants only (issuing costs a key pair).
   * Any other name gets the default certificate.
   */
  function sniCallback(issue: NonNullable<ServerCredentials['issue']>) {
    // One issuance per tenant and host, shared by concurrent handshakes; a failed one is
    // forgotten (the next handshake tries again) and the handshake gets the default
    // certificate.
    const contexts = new Lru<string, Promise<SecureContext>>(1024, () => undefined)
    const contextFor = (name: string): Promise<SecureContext> => {
      let pending = contexts.get(name)
      if (pending === undefined) {
        pending = issue([`*.${name}`]).then((issued) =>
          createSecureContext({
            key: issued.keyPem,
            cert: issued.certPem,
            minVersion: TLS_MIN_VERSION,
            ciphers: TLS_CIPHERS,
            honorCipherOrder: true,
          }),
        )
        contexts.set(name, pending)
        void pending.catch(() => {
          if (contexts.peek(name) === pending) void contexts.delete(name)
        })
      }
      return pending
    }
    return (servername: string, done: (err: Error | null, ctx?: SecureContext) => void) => {
      const hostname = new URL(baseUrl === '' ? 'https://localhost' : baseUrl).hostname
      const named = environmentOfHost(`https://${hostname}`, servername)
      if (named === undefined) {
        done(null)
        return
      }
      const name = `${named.tenant}.${hostname}`
      tenantIdOf(named.tenant, app.control.stamp())
        .then((tenantId) => (tenantId === null ? undefined : contextFor(name)))
        .then(
          (context) => {
            done(null, context)
          },
          (e: unknown) => {
            logger.log('warn', 'api.sni-certificate-failed', {
              error: e instanceof Error ? e.message : String(e),
            })
            done(null)
          },
        )
    }
  }

  const fastify = Fastify({
    serverFactory: (handler) => {
      const server = createHttpsServer(
        {
          key: credentials.keyPem,
          cert: credentials.certPem,
          minVersion: TLS_MIN_VERSION,
          ciphers: TLS_CIPHERS,
          honorCipherOrder: true,
          maxHeaderSize: 64 * 1024,
          ...(routing === 'host' && credentials.issue !== undefined
            ? { SNICallback: sniCallback(credentials.issue) }
            : {}),
        },
        handler,
      )
      // fastify applies its keepAliveTimeout only to servers it creates itself.
      server.keepAliveTimeout = KEEP_ALIVE_MS
      return server
    },
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout: options.requestTimeoutMs ?? 120_000,
    connectionTimeout: 130_000,
    keepAliveTimeout: KEEP_ALIVE_MS,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    logger: false,
    genReqId: () => options.random.uuid(),
    routerOptions: { maxParamLength: 200, querystringParser: (text) => parseQueryString(text) },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  })

  fastify.addContentTypeParser(
    /^multipart\/mixed/,
    { parseAs: 'string', bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT },
    (_req, body, done) => {
      done(null, body)
    },
  )

  // The same on every response: set as one object per request.
  const staticHeaders = {
    'strict-transport-security': HSTS,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  }
  /** The tenant's built-in OpenID provider (discovery, JWKS, token endpoint). */
  const serveOidc = async (tenant: string, req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack()
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value)
    }
    try {
      await identity.handleOidcRequest?.(tenant, req.raw, reply.raw)
    } catch (e) {
      const { status, body } = toErrorResponse(e, req.id)
      if (status >= 500) {
        logger.log('error', 'api.internal-error', {
          requestId: req.id,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        })
      }
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(status, { 'content-type': 'application/json' })
        reply.raw.end(JSON.stringify(body))
      } else {
        reply.raw.destroy()
      }
    }
  }
  // A callback hook (not async): no promise per request on the hot path.
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.headers(staticHeaders).header('x-ms-service-request-id', req.id)
    if (req.url.length > MAX_URL_LENGTH) {
      done(new AppError('URI_TOO_LONG', 'The request URL is longer than 32,768 characters.'))
      return
    }
    // The tenant's OpenID provider reads the raw request itself, so it is dispatched here,
    // before fastify would parse the body.
    const oidc = req.url.includes('/oauth2') ? OIDC_PATH.exec(req.url) : null
    if (oidc === null || identity.handleOidcRequest === undefined) {
      done()
      return
    }
    serveOidc(oidc[1] ?? '', req, reply).then(
      () => {
        done()
      },
      (e: unknown) => {
        done(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })

  fastify.setErrorHandler((err, req, reply) => {
    const error = err instanceof AppError ? err : (fromFrameworkError(err) ?? err)
    const { status, body } = toErrorResponse(error, req.id)
    if (status >= 500) {
      logger.log('error', 'api.internal-error', {
        requestId: req.id,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      })
    }
    if (status === 401) {
      // RFC 6750 §3: tell the client which scheme to use.
      void reply.header('WWW-Authenticate', 'Bearer realm="strongroom"')
    }
    void reply.status(status).header('OData-Version', '4.0').send(body)
  })

  fastify.setNotFoundHandler((_req, reply) => {
    void reply.status(404).send({
      error: { code: '0x80060888', message: 'No resource answers at that URL.' },
    })
  })

  fastify.get('/healthz', () => Promise.resolve({ status: 'ok' }))

  type ApiParams = { tenant?: string; env?: string; version: string }
  const serveApi = async (req: FastifyRequest<{ Params: ApiParams }>, reply: FastifyReply) => {
    const { version } = req.params
    // Path routing: /<tenant>/<env>/api/data/<version>/…; host routing: the Host header names
    // them (<env>.<tenant>.<host>) and the path starts at /api/data/<version>. Each mode
    // answers only its own form, so an environment has one URL (its tokens' audience).
    const named =
      routing === 'host'
        ? environmentOfHost(baseUrl, req.headers.host ?? '')
        : req.params.tenant === undefined || req.params.env === undefined
          ? undefined
          : { tenant: req.params.tenant, environment: req.params.env }
    const tenant = named?.tenant ?? ''
    const env = named?.environment ?? ''
    if (
      named === undefined ||
      (routing === 'host') !== (req.params.tenant === undefined) ||
      !SLUG.test(tenant) ||
      !SLUG.test(env) ||
      !(API_VERSIONS as readonly string[]).includes(version)
    ) {
      throw new AppError('ROUTE_NOT_FOUND', 'No resource answers at that URL.')
    }
    const environmentUrl = environmentUrlOf(tenant, env)
    const token = bearerToken(req.headers.authorization)
    const impersonate = parseImpersonation(req.headers)
    // Everything below reads the control plane or the environment; the stamps say whether a
    // cached answer is still exact (see StampedCache).
    const controlStamp = app.control.stamp()

    // Authenticate before revealing whether the tenant or environment exists: an unknown
    // tenant and a bad token get the same 401.
    // A cache hit is taken without a promise hop (the common case).
    const knownTenant = caches.tenants.get(tenant, controlStamp)
    const tenantId =
      knownTenant !== undefined ? knownTenant : await tenantIdOf(tenant, controlStamp)
    if (tenantId === null) throw unauthorized()
    // Keyed by a hash: the cache holds no bearer tokens.
    const tokenKey = `${tenantId}\n${environmentUrl}\n${hash('sha256', token, 'base64url')}`
    let principal = caches.principals.get(tokenKey, controlStamp)
    if (principal === undefined || principal.expiresAt * 1000 <= options.clock.now().getTime()) {
      principal = await identity.verifier.verify(token, {
        tenantId: tenantId as TenantId,
        audience: environmentUrl,
      })
      caches.principals.set(tokenKey, controlStamp, principal)
    }
    const envKey = `${tenant}/${env}`
    let environment = caches.environments.get(envKey, controlStamp)
    if (environment === undefined) {
      environment = await findEnvironment(app.control, tenant, env)
      caches.environments.set(envKey, controlStamp, environment)
    }
    ensureUsable(app.control, environment)
    const envStamp = app.databases.stamp(environment.id)
    const callerStamp = `${controlStamp}|${envStamp ?? ''}`
    // Keyed on the (real, impersonated) pair: impersonation (docs/authz.md §8) resolves the
    // real caller and the user it acts as, both under the same stamps; and on the token's group
    // set, since group team membership comes from the token (docs/authz.md §16).
    const resolveCaller = async (target: ImpersonationTarget | undefined): Promise<Caller> => {
      const callerKey = [
        environment.id,
        principal.issuer,
        principal.subject,
        groupSetKey(principal),
        ...(target === undefined ? [] : [target.by, target.id]),
      ].join('\n')
      let resolved = envStamp === undefined ? undefined : caches.callers.get(callerKey, callerStamp)
      if (resolved === undefined) {
        resolved = await identity.resolveCaller(environment.id, principal, target)
        // Only cached when the stamp was read before the lookup (the handle was open).
        if (envStamp !== undefined) caches.callers.set(callerKey, callerStamp, resolved)
      }
      return resolved
    }
    const caller = await resolveCaller(impersonate)

    // The raw URL must spell the environment exactly as its canonical URL does (no
    // percent-encoded name), so the OData path is cut at the right place.
    const prefix =
      routing === 'host' ? `/api/data/${version}` : `/${tenant}/${env}/api/data/${version}`
    const rawPath = req.url.split('?', 1)[0] ?? ''
    if (!rawPath.startsWith(prefix)) {
      throw new AppError('ROUTE_NOT_FOUND', 'No resource answers at that URL.')
    }
    const path = rawPath.length > prefix.length ? rawPath.slice(prefix.length + 1) : ''
    // Node joins repeated request headers into one string, except Set-Cookie (an array),
    // which no request should carry: only then is a copy needed.
    let headers = req.headers as Readonly<Record<string, string | undefined>>
    if (req.headers['set-cookie'] !== undefined) {
      const joined: Record<string, string | undefined> = {}
      for (const [k, v] of Object.entries(req.headers))
        joined[k] = Array.isArray(v) ? v.join(', ') : v
      headers = joined
    }

    const res = await odata(
      {
        requestId: req.id,
        environment,
        principal,
        caller,
        // A $batch part may name its own user to act as, with the same checks (§8).
        callerFor: (partHeaders) => resolveCaller(parseImpersonation(partHeaders)),
        environmentUrl,
        webApiUrl: `${environmentUrl}api/data/${version}/`,
        version: version as ApiVersion,
      },
      {
        method: req.method,
        path,
        query: req.query as Record<string, string>,
        headers,
        body: req.body,
        ...(path === '$batch' ? { signal: closedSignal(reply.raw) } : {}),
      },
    )
    void reply.code(res.status).header('odata-version', '4.0')
    for (const name in res.headers) void reply.header(name, res.headers[name])
    if (res.body === undefined) return reply.send()
    if (typeof res.body === 'string') return reply.send(res.body)
    // Serialised once, here; fastify sends a string with a content type as it is.
    return reply
      .header('content-type', 'application/json; odata.metadata=minimal; charset=utf-8')
      .send(JSON.stringify(res.body))
  }
  // Only the routes of the configured mode: under path routing a tenant may be called "api".
  const routes =
    routing === 'host'
      ? ['/api/data/:version', '/api/data/:version/', '/api/data/:version/*']
      : [
          '/:tenant/:env/api/data/:version',
          '/:tenant/:env/api/data/:version/',
          '/:tenant/:env/api/data/:version/*',
        ]
  for (const url of routes) {
    fastify.route({ method: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'], url, handler: serveApi })
  }

  return {
    fastify,
    get baseUrl() {
      return baseUrl
    },
    async listen(host, port) {
      await fastify.listen({ host, port })
      const address = fastify.server.address() as AddressInfo
      if (baseUrl === '') baseUrl = `https://localhost:${address.port}`
      return { address, baseUrl }
    },
    async close() {
      await fastify.close()
    },
  }
}

/**
 * A signal aborted when the response's connection closes before the response finished (the
 * client hung up or its socket was destroyed mid-request).
 */
function closedSignal(res: FastifyReply['raw']): AbortSignal {
  const controller = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) controller.abort()
  })
  return controller.signal
}

function unauthorized(): AppError {
  return new AppError(
    'UNAUTHORIZED',
    'The request needs a valid access token for this environment.',
  )
}

// RFC 6750 §2.1: Authorization: Bearer <token>
function bearerToken(header: string | undefined): string {
  // RFC 7235 §2.1: the scheme is case-insensitive.
  const m = header === undefined ? null : /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header)
  if (m === null || (m[1]?.length ?? 0) > MAX_TOKEN_LENGTH) throw unauthorized()
  return m[1] ?? ''
}
