import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../shared/random.ts'
import type { Random } from '../shared/random.ts'
import { dekContext, generateDataKey } from './envelope.ts'
import type { DekPurpose } from './envelope.ts'

const T = '11111111-1111-1111-1111-111111111111'
const E = '22222222-2222-2222-2222-222222222222'

describe('generateDataKey', () => {
  it('returns 32 fresh bytes from the injected random source', () => {
    const a = generateDataKey(cryptoRandom)
    const b = generateDataKey(cryptoRandom)
    assert.equal(a.length, 32)
    assert.notDeepEqual(a.expose(), b.expose())
    assert.equal(String(a), '[redacted]')
  })

  it('refuses a random source that returns the wrong length', () => {
    const short: Random = { bytes: () => new Uint8Array(31), uuid: () => '' }
    assert.throws(() => generateDataKey(short), RangeError)
  })
})

describe('dekContext', () => {
  it('is deterministic and starts with the versioned label', () => {
    const a = dekContext({ purpose: 'environment-db', tenantId: T, environmentId: E })
    const b = dekContext({ purpose: 'environment-db', tenantId: T, environmentId: E })
    assert.deepEqual(a, b)
    assert.ok(Buffer.from(a).includes(Buffer.from('strongroom/dek/v1')))
  })

  it('differs for every purpose, tenant and environment, including swapped ids', () => {
    const seen = new Set<string>()
    const purposes: DekPurpose[] = ['environment-db', 'field', 'backup']
    for (const purpose of purposes) {
      for (const [tenantId, environmentId] of [
        [T, E],
        [E, T],
        [T, T],
        ['a', 'bc'],
        ['ab', 'c'],
      ] as const) {
        seen.add(Buffer.from(dekContext({ purpose, tenantId, environmentId })).toString('hex'))
      }
    }
    assert.equal(seen.size, 15)
  })

  it('refuses empty or oversized ids and unknown purposes', () => {
    assert.throws(
      () => dekContext({ purpose: 'field', tenantId: '', environmentId: E }),
      RangeError,
    )
    assert.throws(
      () => dekContext({ purpose: 'field', tenantId: T, environmentId: 'x'.repeat(129) }),
      RangeError,
    )
    assert.throws(
      () => dekContext({ purpose: 'other' as DekPurpose, tenantId: T, environmentId: E }),
      RangeError,
    )
  })
})
