import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runCli } from '../../src/cli/run.ts'

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI in-process against `dataDir`, with an empty environment unless given one. */
export async function cli(
  dataDir: string,
  argv: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCli([...argv, '--data-dir', dataDir], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    env: options.env ?? {},
    cwd: process.cwd(),
    waitForShutdown: () => Promise.resolve(),
  })
  return { code, stdout, stderr }
}

/** Like `cli`, but parses stdout as JSON (adds --json). */
export async function cliJson<T = unknown>(
  dataDir: string,
  argv: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<T> {
  const r = await cli(dataDir, [...argv, '--json'], options)
  if (r.code !== 0) throw new Error(`strongroom ${argv.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/** The built bin, run as a real process (for exit codes, stdin and signals). */
export const BIN = resolve('build/src/cli/main.js')

export function spawnCli(
  argv: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...argv], {
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

export function tempDir(prefix = 'sr-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true })
    },
  }
}
