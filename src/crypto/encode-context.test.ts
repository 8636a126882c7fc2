import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeContext } from './encode-context.ts'

describe('encodeContext', () => {
  it('is deterministic', () => {
    assert.deepEqual(encodeContext('d', ['a', 'b']), encodeContext('d', ['a', 'b']))
  })

  it('length-prefixes every part', () => {
    assert.deepEqual(
      encodeContext('d', ['ab']),
      new Uint8Array([0, 0, 0, 1, 0x64, 0, 0, 0, 2, 0x61, 0x62]),
    )
  })

  it('keeps boundaries: no two splits of the same text collide', () => {
    const seen = new Set<string>()
    for (const parts of [['ab', 'c'], ['a', 'bc'], ['abc'], ['abc', ''], ['', 'abc']]) {
      seen.add(Buffer.from(encodeContext('d', parts)).toString('hex'))
    }
    seen.add(Buffer.from(encodeContext('da', ['bc'])).toString('hex'))
    assert.equal(seen.size, 6)
  })

  it('refuses oversized fields', () => {
    assert.throws(() => encodeContext('d', ['x'.repeat(0x10000)]), RangeError)
  })
})
