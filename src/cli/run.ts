import { userInfo } from 'node:os'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { openStrongroom, type Deps, type Strongroom } from '../app.ts'
import { loadConfig } from '../config/index.ts'
import { AppError, toAppError } from '../shared/errors.ts'
import { jsonLogger, type LogLevel } from '../shared/logger.ts'
import { cryptoRandom } from '../shared/random.ts'
import { systemClock } from '../shared/clock.ts'
import type { Command } from './command.ts'
import { COMMANDS } from './commands/index.ts'
import type { CliIo } from './io.ts'

const GLOBAL_OPTIONS = {
  'data-dir': { type: 'string', description: 'Data directory (or STRONGROOM_DATA_DIR)' },
  json: { type: 'boolean', description: 'Machine-readable output on stdout' },
  help: { type: 'boolean', description: 'Show help' },
} as const

const MAX_ARG_LENGTH = 1_048_576

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length + c.args.join(' ').length + 3))
  return (
    'Usage: strongroom <noun> <verb> [arguments] [options]\n\n' +
    COMMANDS.map(
      (c) =>
        `  ${`${c.name} ${c.args.map((a) => `<${a}>`).join(' ')}`.padEnd(width + 2)} ${c.summary}`,
    ).join('\n') +
    '\n\nEvery command takes --data-dir <dir> and --json. Secrets are never read from arguments.\n'
  )
}

function commandHelp(c: Command): string {
  const opts = Object.entries({ ...c.options, ...GLOBAL_OPTIONS }).map(
    ([name, o]) =>
      `  --${name}${o.type === 'string' ? ' <value>' : ''}${'required' in o && o.required === true ? ' (required)' : ''}\n      ${o.description}`,
  )
  return `Usage: strongroom ${c.name} ${c.args.map((a) => `<${a}>`).join(' ')}\n\n${c.summary}\n\n${opts.join('\n')}\n`
}

function findCommand(
  positionals: readonly string[],
): { command: Command; rest: string[] } | undefined {
  for (const words of [3, 2, 1]) {
    const name = positionals.slice(0, words).join(' ')
    const command = COMMANDS.find((c) => c.name === name)
    if (command !== undefined) return { command, rest: positionals.slice(words) }
  }
  return undefined
}

/**
 * Runs one CLI invocation and returns the exit status. Output goes through `io`, so tests run
 * commands in-process. Errors print their stable code; unexpected ones print only a generic
 * message (details go to the log at debug level).
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  deps?: Partial<Deps>,
): Promise<number> {
  const json = argv.includes('--json')
  const fullDeps: Deps = {
    clock: deps?.clock ?? systemClock,
    random: deps?.random ?? cryptoRandom,
    logger: deps?.logger ?? jsonLogger(io.stderr, logLevelOf(io.env['STRONGROOM_LOG_LEVEL'])),
  }
  let app: Strongroom | undefined
  try {
    if (argv.some((a) => a.length > MAX_ARG_LENGTH)) {
      throw new AppError('USAGE', 'An argument is longer than 1 MiB.')
    }
    const first = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS },
      allowPositionals: true,
      strict: false,
    })
    const found = findCommand(first.positionals)
    if (found === undefined) {
      if (
        first.positionals.length === 0 ||
        first.positionals[0] === 'help' ||
        first.values['help'] === true
      ) {
        io.stdout(helpText())
        return first.positionals.length === 0 && first.values['help'] !== true ? 2 : 0
      }
      throw new AppError(
        'USAGE',
        `Unknown command '${first.positionals.slice(0, 2).join(' ')}'. See 'strongroom help'.`,
      )
    }
    const { command } = found
    if (first.values['help'] === true) {
      io.stdout(commandHelp(command))
      return 0
    }
    const options: ParseArgsConfig['options'] = {}
    for (const [name, o] of Object.entries({ ...GLOBAL_OPTIONS, ...command.options })) {
      options[name] = { type: o.type }
    }
    let parsed: ReturnType<typeof parseArgs>
    try {
      parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
    } catch (cause) {
      throw new AppError(
        'USAGE',
        `${(cause as Error).message} See 'strongroom ${command.name} --help'.`,
      )
    }
    const rest = findCommand(parsed.positionals)?.rest ?? []
    if (rest.length !== command.args.length) {
      throw new AppError(
        'USAGE',
        `Usage: strongroom ${command.name} ${command.args.map((a) => `<${a}>`).join(' ')}`,
      )
    }
    for (const [name, o] of Object.entries(command.options)) {
      if (o.required === true && parsed.values[name] === undefined) {
        throw new AppError('USAGE', `Missing --${name}. See 'strongroom ${command.name} --help'.`)
      }
    }
    const dataDir = parsed.values['data-dir']
    const config = loadConfig({
      env: io.env,
      dataDir: typeof dataDir === 'string' ? dataDir : undefined,
      cwd: io.cwd,
    })
    const args = Object.fromEntries(command.args.map((name, i) => [name, rest[i] ?? '']))
    const result = await command.run({
      args,
      options: parsed.values as Record<string, string | boolean | undefined>,
      config,
      deps: fullDeps,
      io,
      actor: `cli:${safeUser()}`,
      app: async () => {
        app ??= await openStrongroom(config, fullDeps)
        return app
      },
    })
    if (json || command.human === undefined) {
      io.stdout(JSON.stringify(result, null, 2) + '\n')
    } else {
      io.stdout(command.human(result as never))
    }
    return 0
  } catch (e) {
    const error = toAppError(e)
    if (error.code === 'INTERNAL') {
      // The detail may name files or SQL: only at debug level, never in the error itself.
      fullDeps.logger.log('debug', 'cli.internal-error', {
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      })
    }
    if (json) {
      io.stderr(
        JSON.stringify({
          error: {
            code: error.code,
            message: error.message,
            ...(error.details.length > 0 ? { details: error.details } : {}),
          },
        }) + '\n',
      )
    } else {
      io.stderr(`error [${error.code}]: ${error.message}\n`)
      if (error.code === 'INTERNAL')
        io.stderr('  (details: run again with STRONGROOM_LOG_LEVEL=debug)\n')
      for (const d of error.details) io.stderr(`  ${d.path}: ${d.message}\n`)
    }
    return error.spec.exit
  } finally {
    await app?.close()
  }
}

function logLevelOf(text: string | undefined): LogLevel {
  return text === 'debug' || text === 'info' || text === 'error' ? text : 'warn'
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}
