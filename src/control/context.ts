import type { Kysely } from 'kysely'
import type { KeyProvider } from '../keys/key-provider.ts'
import type { Clock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { Random } from '../shared/random.ts'
import type { EnvironmentDatabases } from '../storage/index.ts'
import type { ControlDb } from './schema.ts'

export interface Region {
  readonly name: string
  readonly geography: string
}

/** What every control-plane operation is given. Built once by the composition root. */
export interface ControlContext {
  readonly db: Kysely<ControlDb>
  /** Changes whenever the control plane may have changed (any process): see ChangeStamp. */
  readonly stamp: () => string
  /** Key providers by kind ('local' now; 'pkcs11', 'byok' and KMS adapters later). */
  readonly providers: ReadonlyMap<string, KeyProvider>
  readonly databases: EnvironmentDatabases
  /** Writes the system tables and seed rows of a new environment (records domain). */
  readonly provisionEnvironment: (input: {
    environmentId: string
    organizationName: string
  }) => Promise<void>
  readonly regions: readonly Region[]
  readonly recoveryWindowDays: number
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
}

/** Who did it, for the history: 'cli:<os user>', 'api:<user id>', 'system:key-health'. */
export type Actor = string

export function providerOf(ctx: ControlContext, kind: string): KeyProvider {
  const provider = ctx.providers.get(kind)
  if (provider === undefined) {
    throw new AppError('KEY_UNAVAILABLE', `The key provider '${kind}' is not configured.`)
  }
  return provider
}

export const isoNow = (ctx: ControlContext): string => ctx.clock.now().toISOString()
