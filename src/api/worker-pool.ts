import cluster, { type Worker } from 'node:cluster'
import { AppError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'

/** What a worker reports once its server listens (sent over the cluster IPC channel). */
export interface ListeningReport {
  readonly baseUrl: string
  readonly port: number
  readonly caCertFile: string | null
}

const LISTENING = 'strongroom:listening'
const SHUTDOWN = 'strongroom:shutdown'

/**
 * A replacement that exits before it listens this many times in a row (a broken keyring, a
 * key provider down, the port taken) stops the server: retrying can't help.
 */
const MAX_FAILED_STARTS = 5
/** Replacements wait RESTART_BASE_MS × 2^(failed starts in a row), at most RESTART_MAX_MS. */
const RESTART_BASE_MS = 100
const RESTART_MAX_MS = 30_000

export interface WorkerPoolOptions {
  readonly count: number
  readonly logger: Logger
  /** How long workers get to drain in-flight requests on shutdown before they are killed. */
  readonly drainMs: number
}

export interface WorkerPool {
  /** The first worker's report, once every worker listens. @throws SERVER_WORKER_FAILED */
  readonly ready: Promise<ListeningReport>
  /** Settles with SERVER_WORKER_FAILED when workers keep crashing after start. */
  readonly failed: Promise<never>
  /** Asks every worker to drain and exit; kills what is left after the drain deadline. */
  stop(): Promise<void>
}

/** Is this process a server worker forked by a pool? */
export const isServerWorker = (): boolean => cluster.isWorker

/**
 * Forks `count` server workers (node:cluster: they share one listening port, connections are
 * handed out round-robin). Each worker runs the whole server on its own: its own database
 * handles, caches, key-health checks. They need no coordination: every cache is keyed by the
 * databases' change stamps, which move on commits from any process (docs/architecture.md).
 * The primary holds no keys and opens no database. A worker that dies is replaced (with a
 * growing delay); replacements that keep failing to start stop the server.
 */
export function startWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { logger } = options
  let stopping = false
  let failedStarts = 0
  const timers = new Set<NodeJS.Timeout>()
  let rejectFailed!: (e: AppError) => void
  const failed = new Promise<never>((_resolve, reject) => {
    rejectFailed = reject
  })
  // Unobserved until the caller races it.
  failed.catch(() => undefined)

  const killAll = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
  }

  const ready = new Promise<ListeningReport>((resolve, reject) => {
    const reports: ListeningReport[] = []
    let started = false
    const fork = (): void => {
      const worker = cluster.fork()
      let listening = false
      worker.on('message', (message: unknown) => {
        const report = asListening(message)
        if (report === undefined) return
        listening = true
        failedStarts = 0
        if (started) return
        reports.push(report)
        if (reports.length === options.count && reports[0] !== undefined) {
          started = true
          resolve(reports[0])
        }
      })
      // At run time one of the two is null (@types/node declares both always set).
      worker.on('exit', (code: number | null, signal: string | null) => {
        // Workers stop only when asked (they ignore SIGINT/SIGTERM, see serve): any other exit
        // is a failure, whatever its code.
        if (stopping) return
        const how = signal ?? `exit code ${String(code)}`
        if (!started) {
          stopping = true
          killAll()
          reject(
            new AppError(
              'SERVER_WORKER_FAILED',
              `A server worker exited before listening (${how}).`,
            ),
          )
          return
        }
        if (!listening) failedStarts += 1
        logger.log('error', 'api.worker-exit', {
          pid: worker.process.pid,
          code,
          signal,
          failedStarts,
        })
        if (failedStarts >= MAX_FAILED_STARTS) {
          rejectFailed(
            new AppError(
              'SERVER_WORKER_FAILED',
              `Replacement server workers failed to start ${String(failedStarts)} times in a row (last: ${how}).`,
            ),
          )
          return
        }
        // A worker that crashes (e.g. on a poisonous request) is replaced with a growing delay,
        // so a crash loop can't spin; the other workers keep serving meanwhile.
        const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** failedStarts)
        const timer = setTimeout(() => {
          timers.delete(timer)
          if (!stopping) fork()
        }, delay)
        timers.add(timer)
      })
    }
    for (let i = 0; i < options.count; i++) fork()
  })

  return {
    ready,
    failed,
    async stop() {
      stopping = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      const workers = Object.values(cluster.workers ?? {}).filter(
        (w): w is Worker => w !== undefined,
      )
      const exited = Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) {
                resolve()
                return
              }
              w.once('exit', () => {
                resolve()
              })
              if (w.isConnected()) w.send({ type: SHUTDOWN })
            }),
        ),
      )
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<'timeout'>((resolve) => {
        // The workers enforce the drain deadline themselves; this is the backstop.
        timer = setTimeout(() => {
          resolve('timeout')
        }, options.drainMs + 5_000)
      })
      const outcome = await Promise.race([exited.then(() => 'exited' as const), deadline])
      clearTimeout(timer)
      if (outcome === 'timeout') {
        logger.log('warn', 'api.worker-kill', { afterMs: options.drainMs + 5_000 })
        killAll()
        await exited
      }
    },
  }
}

/** In a worker: tells the primary the server listens. */
export function reportListening(report: ListeningReport): void {
  process.send?.({ type: LISTENING, ...report })
}

/** In a worker: resolves when the primary asks it to shut down, or is gone. */
export function shutdownRequested(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('message', onMessage)
      process.off('disconnect', done)
      resolve()
    }
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'type' in message) {
        if (message.type === SHUTDOWN) done()
      }
    }
    process.on('message', onMessage)
    process.once('disconnect', done)
  })
}

function asListening(message: unknown): ListeningReport | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const m = message as Record<string, unknown>
  if (m['type'] !== LISTENING) return undefined
  const { baseUrl, port, caCertFile } = m
  if (typeof baseUrl !== 'string' || typeof port !== 'number') return undefined
  return { baseUrl, port, caCertFile: typeof caCertFile === 'string' ? caCertFile : null }
}
