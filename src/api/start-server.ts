import { join } from 'node:path'
import type { Deps, Strongroom } from '../app.ts'
import { startKeyHealthChecks } from '../control/key-health/start-key-health-checks.ts'
import type { RecordOperations } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import { createBatchHandler } from './batch/index.ts'
import type { ODataHandler } from './context.ts'
import { createODataHandler } from './odata/index.ts'
import { createApiServer, type ApiServer } from './server.ts'
import { loadOperatorCredentials, loadOrCreateLocalCa } from './tls/local-ca.ts'
import { publicBaseUrl } from './urls.ts'

export const DEFAULT_DRAIN_MS = 30_000

export interface RunningServer {
  readonly server: ApiServer
  /** https://host:port without a trailing slash. */
  readonly baseUrl: string
  readonly port: number
  /** The local CA certificate clients should trust, or null with an operator certificate. */
  readonly caCertFile: string | null
  /** Stops the key-health checks, then the server (draining in-flight requests). */
  stop(): Promise<void>
}

/**
 * Starts the HTTPS server on an open data directory: TLS credentials (the operator's, or the
 * local CA's for localhost), the OData handler over the records domain, the identity domain's
 * OpenID provider and token verifier.
 */
export async function startServer(
  app: Strongroom,
  deps: Deps,
  options: {
    host?: string | undefined
    port?: number | undefined
    /** How long shutdown waits for in-flight requests (default 30 s). */
    drainMs?: number
  } = {},
): Promise<RunningServer> {
  const { server: settings } = app.config
  let credentials
  if (settings.certFile !== undefined && settings.keyFile !== undefined) {
    credentials = loadOperatorCredentials(settings.certFile, settings.keyFile)
  } else {
    const key = app.sealingKey('tls')
    try {
      // The CA key stays in memory only where host routing needs it to issue certificates.
      credentials = await loadOrCreateLocalCa(join(app.config.dataDir, 'tls'), key, deps, {
        issuing: app.config.server.routing === 'host',
      })
    } finally {
      key.dispose()
    }
  }
  // One OData handler over the records service, and $batch, which runs each part through the
  // same handler (change sets through one over a unit of work).
  const handlerFor = (records: RecordOperations): ODataHandler =>
    createODataHandler({
      records,
      control: app.control,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
    })
  const main = handlerFor(app.records)
  const batch = createBatchHandler({
    records: app.records,
    handlerFor,
    random: deps.random,
    logger: deps.logger,
  })
  const odata: ODataHandler = (ctx, req) => {
    if (req.path !== '$batch') return main(ctx, req)
    if (req.method !== 'POST') {
      return Promise.reject(new AppError('METHOD_NOT_ALLOWED', '$batch accepts POST only.'))
    }
    return batch(ctx, req)
  }
  const server = createApiServer({
    app,
    credentials,
    identity: app.identity,
    odata,
    clock: deps.clock,
    random: deps.random,
    logger: deps.logger,
  })
  const { address } = await server.listen(
    options.host ?? settings.host,
    options.port ?? settings.port,
  )
  const baseUrl = publicBaseUrl(app.config, address.port)
  app.identity.setPublicUrl(baseUrl)
  // Customer keys disabled or destroyed in their provider lock their environments within one
  // interval (issue #6); an unreachable provider only warns (docs/keys.md).
  const stopHealthChecks = startKeyHealthChecks(app.control, {
    intervalMs: app.config.keys.healthCheckIntervalSeconds * 1000,
    logger: deps.logger,
  })
  return {
    server,
    baseUrl,
    port: address.port,
    caCertFile: credentials.caCertFile,
    async stop() {
      await stopHealthChecks()
      // In-flight requests get up to the drain deadline to finish; past it the process stops
      // anyway (and says so), so a stuck request can't hold a shutdown forever.
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => {
          resolve('timeout')
        }, options.drainMs ?? DEFAULT_DRAIN_MS)
        timer.unref()
      })
      const outcome = await Promise.race([server.close().then(() => 'drained' as const), deadline])
      clearTimeout(timer)
      if (outcome === 'timeout') {
        deps.logger.log('warn', 'api.drain-deadline', {
          drainMs: options.drainMs ?? DEFAULT_DRAIN_MS,
        })
      }
    },
  }
}
