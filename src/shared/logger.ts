/**
 * Structured logging through an injected port. Never log secrets: Secret values print as
 * [redacted], and callers pass ids, not payloads.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  log(level: LogLevel, event: string, fields?: Readonly<Record<string, unknown>>): void
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** JSON lines to a writable stream (stderr by default in the CLI and server). */
export function jsonLogger(
  write: (line: string) => void,
  minLevel: LogLevel = 'info',
  now: () => Date = () => new Date(),
): Logger {
  return {
    log(level, event, fields = {}) {
      if (ORDER[level] < ORDER[minLevel]) return
      write(JSON.stringify({ ...fields, time: now().toISOString(), level, event }) + '\n')
    },
  }
}

export const silentLogger: Logger = { log: () => undefined }

/** A logger for tests that keeps every entry. */
export function capturingLogger(): Logger & {
  entries: { level: LogLevel; event: string; fields: Readonly<Record<string, unknown>> }[]
} {
  const entries: { level: LogLevel; event: string; fields: Readonly<Record<string, unknown>> }[] =
    []
  return {
    entries,
    log(level, event, fields = {}) {
      entries.push({ level, event, fields })
    },
  }
}
