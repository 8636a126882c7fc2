import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.ts'
import { KEY_VERSION_STATUSES } from './key-provider.ts'
import type { KeyVersionStatus } from './key-provider.ts'
import { eventForStatus, KEY_VERSION_EVENTS, transitionKeyVersion } from './key-version-state.ts'
import type { KeyVersionEvent } from './key-version-state.ts'

// Every (state, event) pair, written out independently of KEY_VERSION_TRANSITIONS.
const EXPECTED: readonly [KeyVersionStatus, KeyVersionEvent, KeyVersionStatus | 'INVALID_STATE'][] =
  [
    ['enabled', 'disable', 'disabled'],
    ['enabled', 'enable', 'INVALID_STATE'],
    ['enabled', 'destroy', 'destroyed'],
    ['disabled', 'disable', 'INVALID_STATE'],
    ['disabled', 'enable', 'enabled'],
    ['disabled', 'destroy', 'destroyed'],
    ['destroyed', 'disable', 'INVALID_STATE'],
    ['destroyed', 'enable', 'INVALID_STATE'],
    ['destroyed', 'destroy', 'INVALID_STATE'],
  ]

describe('transitionKeyVersion', () => {
  it('the table covers every (state, event) pair exactly once', () => {
    const pairs = new Set(EXPECTED.map(([s, e]) => `${s}/${e}`))
    assert.equal(pairs.size, EXPECTED.length)
    assert.equal(pairs.size, KEY_VERSION_STATUSES.length * KEY_VERSION_EVENTS.length)
  })

  for (const [state, event, outcome] of EXPECTED) {
    it(`${state} + ${event} → ${outcome}`, () => {
      if (outcome === 'INVALID_STATE') {
        assert.throws(
          () => transitionKeyVersion(state, event),
          (e: unknown) => e instanceof AppError && e.code === 'INVALID_STATE',
        )
      } else {
        assert.equal(transitionKeyVersion(state, event), outcome)
      }
    })
  }

  it('maps each target status to the event that reaches it', () => {
    assert.equal(eventForStatus('enabled'), 'enable')
    assert.equal(eventForStatus('disabled'), 'disable')
    assert.equal(eventForStatus('destroyed'), 'destroy')
  })
})
