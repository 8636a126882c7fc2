import type Database from 'better-sqlite3-multiple-ciphers'
import type { Clock } from '../../shared/clock.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'

/** What every uploaded-key operation works on; owned by one provider instance. */
export interface ByokContext {
  readonly db: Database.Database
  readonly random: Random
  readonly clock: Clock
  /** HKDF(sealing key, info 'strongroom/byok/key-material/v1'): seals private keys at rest. */
  readonly materialKey: Secret
}
