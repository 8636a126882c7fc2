import { AppError } from '../shared/errors.ts'
import type { Deps, Strongroom } from '../app.ts'
import type { Config } from '../config/index.ts'
import type { CliIo } from './io.ts'

export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly description: string
  readonly required?: boolean
}

export interface CommandInput {
  readonly args: Readonly<Record<string, string>>
  readonly options: Readonly<Record<string, string | boolean | undefined>>
  readonly config: Config
  readonly deps: Deps
  readonly io: CliIo
  /** Opens the data directory (only for commands that need it); closed by the runner. */
  readonly app: () => Promise<Strongroom>
  /** Who the history records as the actor. */
  readonly actor: string
}

/** One `strongroom <noun> <verb>` command. */
export interface Command {
  readonly name: string
  readonly summary: string
  readonly args: readonly string[]
  readonly options: Readonly<Record<string, OptionSpec>>
  run(input: CommandInput): Promise<unknown>
  /** Text for people; without it the result prints as JSON. */
  human?(result: never): string
}

export function defineCommand<R>(
  command: Omit<Command, 'run' | 'human'> & {
    run(input: CommandInput): Promise<R>
    human?(result: R): string
  },
): Command {
  return command
}

export function stringOption(input: CommandInput, name: string): string | undefined {
  const v = input.options[name]
  return typeof v === 'string' ? v : undefined
}

export function requiredOption(input: CommandInput, name: string): string {
  const v = stringOption(input, name)
  if (v === undefined) throw new AppError('USAGE', `Missing --${name}.`)
  return v
}
