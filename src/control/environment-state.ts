import { AppError } from '../shared/errors.ts'

/**
 * Environment lifecycle (issue #3; dataverse-spec §2 "Locked environments", §8 "Recover").
 *
 *   provisioning ─provisioned→ active ─lock→ locked ─unlock→ active
 *   provisioning ─purge→ purged (a creation that did not finish)
 *                               active ─disable→ disabled ─enable→ active
 *                                       disabled ─lock→ locked ─unlock→ disabled
 *   any live state ─delete→ deleted ─recover→ active
 *                           deleted ─purge→ purged (crypto-shredded, final)
 *
 * A lock remembers the state it interrupted (`LockedFrom`), and unlock returns there: unlocking
 * a disabled environment whose key was revoked must not enable it (issue #6 review).
 */
export type EnvironmentState =
  'provisioning' | 'active' | 'locked' | 'disabled' | 'deleted' | 'purged'
export type EnvironmentEvent =
  'provisioned' | 'lock' | 'unlock' | 'disable' | 'enable' | 'delete' | 'recover' | 'purge'

/** The states a lock can interrupt, so the states an unlock can return to. */
export type LockedFrom = 'active' | 'disabled'

/** In the transition table: "the state the lock interrupted". */
const LOCKED_FROM = 'locked-from'

export function isLockedFrom(value: string | null): value is LockedFrom {
  return value === 'active' || value === 'disabled'
}

export const ENVIRONMENT_STATES: readonly EnvironmentState[] = [
  'provisioning',
  'active',
  'locked',
  'disabled',
  'deleted',
  'purged',
]
export const ENVIRONMENT_EVENTS: readonly EnvironmentEvent[] = [
  'provisioned',
  'lock',
  'unlock',
  'disable',
  'enable',
  'delete',
  'recover',
  'purge',
]

/**
 * The whole machine as data: state → event → next state. Missing pairs are illegal.
 * `'locked-from'` means the state the lock interrupted.
 */
export const ENVIRONMENT_TRANSITIONS: Readonly<
  Record<EnvironmentState, Partial<Record<EnvironmentEvent, EnvironmentState | typeof LOCKED_FROM>>>
> = {
  // A creation that never finished (crash) is purged directly: it was never usable.
  provisioning: { provisioned: 'active', purge: 'purged' },
  active: { lock: 'locked', disable: 'disabled', delete: 'deleted' },
  // A disabled environment whose key is revoked still locks: unlocking then needs the key.
  disabled: { enable: 'active', lock: 'locked', delete: 'deleted' },
  // dataverse-spec §2: locked environments are deleted if access isn't restored.
  locked: { unlock: LOCKED_FROM, delete: 'deleted' },
  deleted: { recover: 'active', purge: 'purged' },
  purged: {},
}

export function isEnvironmentState(value: string): value is EnvironmentState {
  return (ENVIRONMENT_STATES as readonly string[]).includes(value)
}

/**
 * The next state, or an INVALID_STATE error naming the states the event is allowed from.
 * `lockedFrom` is the state a locked environment was locked from (unlock returns there); it is
 * `active` for a lock recorded before that was remembered.
 * @throws INVALID_STATE
 */
export function transitionEnvironment(
  state: EnvironmentState,
  event: EnvironmentEvent,
  lockedFrom: LockedFrom = 'active',
): EnvironmentState {
  const target = ENVIRONMENT_TRANSITIONS[state][event]
  const next = target === LOCKED_FROM ? lockedFrom : target
  if (next === undefined) {
    const allowed = ENVIRONMENT_STATES.filter(
      (s) => ENVIRONMENT_TRANSITIONS[s][event] !== undefined,
    )
    throw new AppError(
      'INVALID_STATE',
      `Can't ${event} an environment that is ${state}` +
        (allowed.length > 0 ? ` (allowed from: ${allowed.join(', ')}).` : '.'),
    )
  }
  return next
}
