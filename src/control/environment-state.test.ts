import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ENVIRONMENT_EVENTS,
  ENVIRONMENT_STATES,
  isLockedFrom,
  transitionEnvironment,
  type EnvironmentEvent,
  type EnvironmentState,
} from './environment-state.ts'

// Every (state, event) pair, written out so a change to the machine must change this table.
const EXPECTED: Record<EnvironmentState, Record<EnvironmentEvent, EnvironmentState | 'illegal'>> = {
  provisioning: {
    provisioned: 'active',
    lock: 'illegal',
    unlock: 'illegal',
    disable: 'illegal',
    enable: 'illegal',
    delete: 'illegal',
    recover: 'illegal',
    purge: 'purged',
  },
  active: {
    provisioned: 'illegal',
    lock: 'locked',
    unlock: 'illegal',
    disable: 'disabled',
    enable: 'illegal',
    delete: 'deleted',
    recover: 'illegal',
    purge: 'illegal',
  },
  locked: {
    provisioned: 'illegal',
    lock: 'illegal',
    unlock: 'active',
    disable: 'illegal',
    enable: 'illegal',
    delete: 'deleted',
    recover: 'illegal',
    purge: 'illegal',
  },
  disabled: {
    provisioned: 'illegal',
    lock: 'locked',
    unlock: 'illegal',
    disable: 'illegal',
    enable: 'active',
    delete: 'deleted',
    recover: 'illegal',
    purge: 'illegal',
  },
  deleted: {
    provisioned: 'illegal',
    lock: 'illegal',
    unlock: 'illegal',
    disable: 'illegal',
    enable: 'illegal',
    delete: 'illegal',
    recover: 'active',
    purge: 'purged',
  },
  purged: {
    provisioned: 'illegal',
    lock: 'illegal',
    unlock: 'illegal',
    disable: 'illegal',
    enable: 'illegal',
    delete: 'illegal',
    recover: 'illegal',
    purge: 'illegal',
  },
}

describe('environment state machine', () => {
  for (const state of ENVIRONMENT_STATES) {
    for (const event of ENVIRONMENT_EVENTS) {
      const expected = EXPECTED[state][event]
      it(`${state} --${event}--> ${expected}`, () => {
        if (expected === 'illegal') {
          assert.throws(() => transitionEnvironment(state, event), { code: 'INVALID_STATE' })
        } else {
          assert.equal(transitionEnvironment(state, event), expected)
        }
      })
    }
  }

  it('unlock returns to the state the lock interrupted (active or disabled)', () => {
    for (const from of ['active', 'disabled'] as const) {
      const locked = transitionEnvironment(from, 'lock')
      assert.equal(locked, 'locked')
      assert.equal(transitionEnvironment(locked, 'unlock', from), from)
    }
    // A lock recorded before the state was remembered unlocks to active.
    assert.equal(transitionEnvironment('locked', 'unlock'), 'active')
    // The remembered state only matters to unlock.
    assert.equal(transitionEnvironment('locked', 'delete', 'disabled'), 'deleted')
    assert.equal(transitionEnvironment('deleted', 'recover', 'disabled'), 'active')
    assert.throws(() => transitionEnvironment('disabled', 'unlock', 'disabled'), {
      code: 'INVALID_STATE',
    })
  })

  it('isLockedFrom accepts only active and disabled', () => {
    assert.deepEqual(
      [...ENVIRONMENT_STATES, null].filter((s) => isLockedFrom(s)),
      ['active', 'disabled'],
    )
  })

  it('names the allowed states in the error', () => {
    assert.throws(() => transitionEnvironment('purged', 'recover'), {
      code: 'INVALID_STATE',
      message: "Can't recover an environment that is purged (allowed from: deleted).",
    })
  })
})
