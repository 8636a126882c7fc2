/** What a command may touch of the outside world; tests pass buffers. */
export interface CliIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  /** Reads all of standard input (for secrets and `--data -`). */
  readonly readStdin: () => Promise<string>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM); used by `serve`. */
  readonly waitForShutdown: () => Promise<void>
}

/** Renders rows as an aligned text table for people; scripts use --json. */
export function formatTable<T extends object>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
): string {
  if (rows.length === 0) return '(none)\n'
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return ''
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
    return JSON.stringify(v)
  }
  const get = (r: T, c: string): unknown => (r as Record<string, unknown>)[c]
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(get(r, c)).length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd() + '\n'
  return (
    line(columns.map((c) => c.toUpperCase())) +
    rows.map((r) => line(columns.map((c) => cell(get(r, c))))).join('')
  )
}
