import { AppError } from '../shared/errors.ts'
import type { KeyVersionStatus } from './key-provider.ts'

/** What can happen to a key version. */
export const KEY_VERSION_EVENTS = ['disable', 'enable', 'destroy'] as const
/** An event of the key-version state machine. */
export type KeyVersionEvent = (typeof KEY_VERSION_EVENTS)[number]

/**
 * The key-version state machine as data (STYLE §7): enabled ⇄ disabled, either → destroyed,
 * destroyed is final (NIST SP 800-57 Part 1 Rev. 5 §7: a destroyed key never returns to use).
 * A missing entry is an illegal transition.
 */
export const KEY_VERSION_TRANSITIONS: {
  readonly [S in KeyVersionStatus]: { readonly [E in KeyVersionEvent]?: KeyVersionStatus }
} = {
  enabled: { disable: 'disabled', destroy: 'destroyed' },
  disabled: { enable: 'enabled', destroy: 'destroyed' },
  destroyed: {},
}

/** The event that moves a version to `status`. */
export function eventForStatus(status: KeyVersionStatus): KeyVersionEvent {
  switch (status) {
    case 'enabled':
      return 'enable'
    case 'disabled':
      return 'disable'
    case 'destroyed':
      return 'destroy'
  }
}

/**
 * The status a key version moves to when `event` happens in `state`.
 *
 * @throws AppError INVALID_STATE when the transition is not allowed (including a no-op such as
 * enabling an enabled version).
 */
export function transitionKeyVersion(
  state: KeyVersionStatus,
  event: KeyVersionEvent,
): KeyVersionStatus {
  const next = KEY_VERSION_TRANSITIONS[state][event]
  if (next === undefined) {
    const allowed = Object.keys(KEY_VERSION_TRANSITIONS[state])
    throw new AppError(
      'INVALID_STATE',
      `A ${state} key version can't ${event}; allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')}.`,
    )
  }
  return next
}
