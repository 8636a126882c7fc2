import { existsSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { dataPaths, initDataDir } from '../../app.ts'
import { DEFAULT_DRAIN_MS, startServer } from '../../api/start-server.ts'
import {
  isServerWorker,
  reportListening,
  shutdownRequested,
  startWorkerPool,
  type ListeningReport,
} from '../../api/worker-pool.ts'
import { pageCacheBound } from '../../config/page-cache-bound.ts'
import { MAX_WORKERS } from '../../config/settings.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, stringOption, type CommandInput } from '../command.ts'

/**
 * `strongroom serve`: the HTTPS server, until SIGINT or SIGTERM, then a graceful shutdown that
 * lets in-flight requests finish. `--init` initialises a fresh data directory first (what
 * `npm start` does). With `--workers N` (or server.workers) N processes share the port; this
 * process only supervises them.
 */
export const serve = defineCommand({
  name: 'serve',
  summary: 'Start the HTTPS server (Web API and identity provider) until interrupted.',
  args: [],
  options: {
    host: { type: 'string', description: 'Address to listen on (default 127.0.0.1)' },
    port: { type: 'string', description: 'Port (default 8443; 0 picks a free one)' },
    workers: {
      type: 'string',
      description: `Server processes sharing the port, 1-${String(MAX_WORKERS)} or "auto" (default 1)`,
    },
    init: { type: 'boolean', description: 'Initialise the data directory if it is new' },
  },
  async run(input) {
    const portText = stringOption(input, 'port')
    if (portText !== undefined && !/^[0-9]{1,5}$/.test(portText)) {
      throw new AppError('USAGE', '--port must be a number from 0 to 65535.')
    }
    const port = portText === undefined ? undefined : Number(portText)
    if (port !== undefined && port > 65_535) {
      throw new AppError('USAGE', '--port must be a number from 0 to 65535.')
    }
    const workers = workerCount(stringOption(input, 'workers') ?? input.config.server.workers)
    let masterKeyFile: string | null = null
    if (
      !isServerWorker() &&
      input.options['init'] === true &&
      !existsSync(dataPaths(input.config.dataDir).keyring)
    ) {
      masterKeyFile = (await initDataDir(input.config, input.deps)).masterKeyFile
    }
    if (!isServerWorker()) warnIfPageCacheHigh(input, workers)
    if (workers > 1 && !isServerWorker()) {
      return supervise(input, workers, masterKeyFile)
    }
    // Listening for the supervisor's word before starting: a stop asked for while this worker
    // starts is not lost.
    const stopAsked = isServerWorker() ? shutdownRequested() : undefined
    const app = await input.app()
    const running = await startServer(app, input.deps, { host: stringOption(input, 'host'), port })
    const report: ListeningReport = {
      baseUrl: running.baseUrl,
      port: running.port,
      caCertFile: running.caCertFile,
    }
    if (stopAsked !== undefined) {
      reportListening(report)
      await stopAsked
      await running.stop()
      return { status: 'stopped', ...report, workers: 1, masterKeyFile }
    }
    announce(input, { ...report, workers: 1, masterKeyFile })
    await input.io.waitForShutdown()
    await running.stop()
    return { status: 'stopped', ...report, workers: 1, masterKeyFile }
  },
  human: () => 'Stopped.\n',
})

/** Says so at start when the page caches could take more than half of the machine's memory. */
function warnIfPageCacheHigh(input: CommandInput, processes: number): void {
  const bound = pageCacheBound(input.config.storage, processes, totalmem())
  if (!bound.high) return
  input.deps.logger.log('warn', 'storage.page-cache-bound-high', {
    boundMiB: Math.round(bound.boundBytes / 1024 ** 2),
    totalMemoryMiB: Math.round(bound.totalMemoryBytes / 1024 ** 2),
    processes,
    handleCacheSize: input.config.storage.handleCacheSize,
    pageCacheKiB: input.config.storage.pageCacheKiB,
    hint: 'lower storage.pageCacheKiB or storage.handleCacheSize',
  })
}

/** Runs `count` worker processes until shutdown; prints the same ready line as one process. */
async function supervise(input: CommandInput, count: number, masterKeyFile: string | null) {
  const pool = startWorkerPool({ count, logger: input.deps.logger, drainMs: DEFAULT_DRAIN_MS })
  let report: ListeningReport
  try {
    report = await pool.ready
  } catch (e) {
    await pool.stop()
    throw e
  }
  announce(input, { ...report, workers: count, masterKeyFile })
  try {
    await Promise.race([input.io.waitForShutdown(), pool.failed])
  } finally {
    await pool.stop()
  }
  return { status: 'stopped', ...report, workers: count, masterKeyFile }
}

function announce(
  input: CommandInput,
  ready: ListeningReport & { workers: number; masterKeyFile: string | null },
): void {
  if (input.options['json'] === true) {
    input.io.stdout(JSON.stringify({ status: 'listening', ...ready }) + '\n')
    return
  }
  input.io.stdout(
    `Strongroom is listening on ${ready.baseUrl}` +
      (ready.workers > 1 ? ` (${String(ready.workers)} worker processes)` : '') +
      '\n' +
      (ready.caCertFile === null
        ? ''
        : `TLS: local CA certificate at ${ready.caCertFile} (trust it, e.g. NODE_EXTRA_CA_CERTS=${ready.caCertFile})\n`) +
      (ready.masterKeyFile === null
        ? ''
        : `Master key created at ${ready.masterKeyFile}: back it up off this machine.\n`) +
      'Environment URLs: strongroom env show <env> --tenant <tenant>\n' +
      'Stop with Ctrl-C (in-flight requests finish first).\n',
  )
}

/** @throws AppError USAGE */
function workerCount(value: string | number): number {
  if (value === 'auto') return Math.min(MAX_WORKERS, availableParallelism())
  const n = typeof value === 'number' ? value : /^[0-9]{1,2}$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new AppError(
      'USAGE',
      `--workers must be a number from 1 to ${String(MAX_WORKERS)}, or "auto".`,
    )
  }
  return n
}
