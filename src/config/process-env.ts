/** The one place that touches process.env: a copy, handed to loadConfig by the entry points. */
export function readProcessEnv(): Readonly<Record<string, string | undefined>> {
  return { ...process.env }
}
