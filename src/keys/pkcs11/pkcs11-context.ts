import type { Clock } from '../../shared/clock.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Lru } from '../../shared/lru.ts'
import type { Mutex } from '../../shared/mutex.ts'
import type { Random } from '../../shared/random.ts'
import type { VersionObjects } from './key-objects.ts'
import type { Pkcs11Session } from './pkcs11-session.ts'

/** Whether the token does RSA-OAEP with SHA-256 and a label itself; learnt on first unwrap. */
export type TokenOaep = 'unknown' | 'native' | 'raw'

/** What every PKCS#11 provider operation works on; owned by one provider instance. */
export interface Pkcs11Context {
  readonly session: Pkcs11Session
  readonly random: Random
  readonly clock: Clock
  readonly logger: Logger
  /** Per instance; see unwrap-key.ts. */
  readonly oaep: { mode: TokenOaep }
  /** Key versions found by a full lookup, with when; see usable-version.ts. */
  readonly found: Lru<string, { readonly objects: VersionObjects; readonly at: number }>
  /**
   * Serialises the operations that add versions or change them (rotate, status): operations
   * run on several sessions at once, and two rotations must not both add version n+1.
   */
  readonly changes: Mutex
}
