import { AppError } from '../shared/errors.ts'

/**
 * Environment lifecycle (issue #3; dataverse-spec §2 "Locked environments", §8 "Recover").
 *
 *   provisioning ─provisioned→ active ─lock→ locked ─unlock→ active
 *   provisioning ─purge→ purged (a creation that did not finish)
 *                               active ─disable→ disabled ─enable→ active
 *   any live state ─delete→ deleted ─recover→ active
 *                           deleted ─purge→ purged (crypto-shredded, final)
 */
export type EnvironmentState =
  'provisioning' | 'active' | 'locked' | 'disabled' | 'deleted' | 'purged'
export type EnvironmentEvent =
  'provisioned' | 'lock' | 'unlock' | 'disable' | 'enable' | 'delete' | 'recover' | 'purge'

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

/** The whole machine as data: state → event → next state. Missing pairs are illegal. */
export const ENVIRONMENT_TRANSITIONS: Readonly<
  Record<EnvironmentState, Partial<Record<EnvironmentEvent, EnvironmentState>>>
> = {
  // A creation that never finished (crash) is purged directly: it was never usable.
  provisioning: { provisioned: 'active', purge: 'purged' },
  active: { lock: 'locked', disable: 'disabled', delete: 'deleted' },
  // A disabled environment whose key is revoked still locks: unlocking then needs the key.
  disabled: { enable: 'active', lock: 'locked', delete: 'deleted' },
  // dataverse-spec §2: locked environments are deleted if access isn't restored.
  locked: { unlock: 'active', delete: 'deleted' },
  deleted: { recover: 'active', purge: 'purged' },
  purged: {},
}

export function isEnvironmentState(value: string): value is EnvironmentState {
  return (ENVIRONMENT_STATES as readonly string[]).includes(value)
}

/**
 * The next state, or an INVALID_STATE error naming the states the event is allowed from.
 * @throws INVALID_STATE
 */
export function transitionEnvironment(
  state: EnvironmentState,
  event: EnvironmentEvent,
): EnvironmentState {
  const next = ENVIRONMENT_TRANSITIONS[state][event]
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
