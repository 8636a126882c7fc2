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

/** A worker crashing more often than this within RESTART_WINDOW_MS stops the whole server. */
const MAX_RESTARTS = 5
const RESTART_WINDOW_MS = 60_000

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
 * The primary holds no keys and opens no database. A worker that dies is replaced.
 */
export function startWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { logger } = options
  let stopping = false
  const restarts: number[] = []
  let rejectFailed!: (e: AppError) => void
  const failed = new Promise<never>((_resolve, reject) => {
    rejectFailed = reject
  })
  // Unobserved until the caller races it.
  failed.catch(() => undefined)

  const ready = new Promise<ListeningReport>((resolve, reject) => {
    const reports: ListeningReport[] = []
    let started = false
    const fork = (): Worker => {
      const worker = cluster.fork()
      worker.on('message', (message: unknown) => {
        const report = asListening(message)
        if (report === undefined || started) return
        reports.push(report)
        if (reports.length === options.count && reports[0] !== undefined) {
          started = true
          resolve(reports[0])
        }
      })
      // At run time one of the two is null (@types/node declares both always set).
      worker.on('exit', (code: number | null, signal: string | null) => {
        if (stopping) return
        if (!started) {
          stopping = true
          killAll()
          reject(
            new AppError(
              'SERVER_WORKER_FAILED',
              `A server worker exited before listening (${signal ?? `exit code ${String(code)}`}).`,
            ),
          )
          return
        }
        if (code === 0 && signal === null) {
          // It was told to stop (a signal to the whole process group, e.g. Ctrl-C) and drained.
          logger.log('info', 'api.worker-stopped', { pid: worker.process.pid })
          return
        }
        const now = Date.now()
        restarts.push(now)
        while (restarts.length > 0 && (restarts[0] ?? now) < now - RESTART_WINDOW_MS) {
          restarts.shift()
        }
        logger.log('error', 'api.worker-exit', {
          pid: worker.process.pid,
          code,
          signal,
          restarting: restarts.length <= MAX_RESTARTS,
        })
        if (restarts.length > MAX_RESTARTS) {
          rejectFailed(
            new AppError(
              'SERVER_WORKER_FAILED',
              `Server workers exited ${String(restarts.length)} times within a minute.`,
            ),
          )
          return
        }
        fork()
      })
      return worker
    }
    for (let i = 0; i < options.count; i++) fork()
  })

  const killAll = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
  }

  return {
    ready,
    failed,
    async stop() {
      stopping = true
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
