import type { Strongroom } from '../../app.ts'
import { ensureUsable, findEnvironment } from '../../control/environments/environment.ts'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import { requiredOption, type CommandInput } from '../command.ts'

export const ENV_OPTIONS = {
  tenant: { type: 'string', description: 'Tenant name', required: true },
  env: { type: 'string', description: 'Environment name', required: true },
} as const

/**
 * Opens the data directory and resolves `--tenant/--env` to an environment that is active.
 * A locked environment fails here with ENVIRONMENT_LOCKED: no data command prints data then.
 */
export async function dataContext(
  input: CommandInput,
): Promise<{ app: Strongroom; env: EnvironmentId; actorId: string }> {
  const app = await input.app()
  const environment = await findEnvironment(
    app.control,
    requiredOption(input, 'tenant'),
    requiredOption(input, 'env'),
  )
  ensureUsable(app.control, environment)
  // The CLI acts as the environment's SYSTEM user (the operator's own identity is in the
  // control-plane history; interactive users arrive with the identity issue).
  const ids = await app.records.readProvisionedIds(environment.id)
  return { app, env: environment.id, actorId: ids.systemUserId }
}

const MAX_JSON = 1_048_576

/** Parses `--data` (JSON object text, or `-` for standard input). */
export async function readDataOption(input: CommandInput): Promise<Record<string, unknown>> {
  let text = requiredOption(input, 'data')
  if (text === '-') text = await input.io.readStdin()
  if (text.length > MAX_JSON) throw new AppError('VALIDATION', '--data is larger than 1 MiB.')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new AppError('VALIDATION', '--data is not valid JSON.', {
      details: [{ path: 'data', message: 'expected a JSON object' }],
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('VALIDATION', '--data must be a JSON object.', {
      details: [{ path: 'data', message: 'expected a JSON object' }],
    })
  }
  return value as Record<string, unknown>
}
