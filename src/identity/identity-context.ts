import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { Random } from '../shared/random.ts'
import type { EnvironmentRecords, IdentityDb, IdentityDirectory } from './types.ts'
import type { Routing } from './urls.ts'

/** What the application-user operations are given. */
export interface IdentityContext {
  readonly db: IdentityDb
  readonly directory: IdentityDirectory
  readonly records: EnvironmentRecords
  readonly publicUrl: string
  readonly routing: Routing
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
}
