import type { Logger } from '../../shared/logger.ts'
import type { ControlContext } from '../context.ts'
import { checkKeys } from './check-keys.ts'

/**
 * Runs {@link checkKeys} every `intervalMs` (setting `keys.healthCheckIntervalSeconds`) until
 * `stop()` is called. Runs never overlap: the next is scheduled when one ends. The timer does
 * not keep the process alive. `stop()` resolves once a run in progress has finished, so the
 * caller can close the control database after it.
 */
export function startKeyHealthChecks(
  ctx: ControlContext,
  options: { intervalMs: number; logger: Logger },
): () => Promise<void> {
  if (!Number.isInteger(options.intervalMs) || options.intervalMs < 1) {
    throw new RangeError('intervalMs must be a positive integer')
  }
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  const schedule = (): void => {
    if (stopped) return
    timer = setTimeout(() => {
      running = checkKeys(ctx)
        .then(() => undefined)
        .catch((e: unknown) => {
          options.logger.log('error', 'key-health.failed', {
            code: (e as { code?: unknown }).code ?? 'INTERNAL',
          })
        })
        .finally(schedule)
    }, options.intervalMs)
    timer.unref()
  }
  schedule()
  return async () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    await running
  }
}
