import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KeyVersionInfo } from '../../keys/key-provider.ts'
import { healthRecord, keyWarnings } from './key-warnings.ts'

const NOW = new Date('2030-06-01T00:00:00.000Z')
const DAY = 24 * 3600 * 1000
const v = (
  version: number,
  days: number | undefined,
  status: KeyVersionInfo['status'] = 'enabled',
): KeyVersionInfo => ({
  version,
  status,
  createdAt: new Date(NOW.getTime() - 100 * DAY),
  ...(days === undefined ? {} : { expiresAt: new Date(NOW.getTime() + days * DAY) }),
})

describe('keyWarnings', () => {
  it('warns for versions in use that expire within 30 days or have expired', () => {
    const w = keyWarnings(
      [v(1, -1), v(2, 10), v(3, 31), v(4, undefined)],
      new Set([1, 2, 3, 4]),
      null,
      NOW,
    )
    assert.deepEqual(
      w.map((x) => [x.code, x.version]),
      [
        ['expired', 1],
        ['expiring', 2],
      ],
    )
    assert.match(w[1]?.message ?? '', /in 10 day\(s\)/)
  })

  it('ignores versions not in use and versions not enabled', () => {
    assert.deepEqual(keyWarnings([v(1, -5), v(2, 5, 'disabled')], new Set([2]), null, NOW), [])
  })

  it('exactly 30 days ahead warns; the expiry instant counts as expired', () => {
    assert.deepEqual(
      keyWarnings([v(1, 30), v(2, 0)], new Set([1, 2]), null, NOW).map((x) => x.code),
      ['expiring', 'expired'],
    )
  })

  it('warns while the provider is unreachable, naming since when', () => {
    const health = healthRecord({
      health: 'unreachable',
      health_since: '2030-05-31T23:00:00.000Z',
      health_checked_at: '2030-06-01T00:00:00.000Z',
    })
    const w = keyWarnings([], new Set(), health, NOW)
    assert.deepEqual(
      w.map((x) => x.code),
      ['unreachable'],
    )
    assert.match(w[0]?.message ?? '', /since 2030-05-31T23:00:00.000Z/)
  })

  it('healthRecord: null before the first check and for an unknown value', () => {
    assert.equal(healthRecord({ health: null, health_since: null, health_checked_at: null }), null)
    assert.equal(
      healthRecord({ health: 'weird', health_since: null, health_checked_at: null }),
      null,
    )
  })
})
