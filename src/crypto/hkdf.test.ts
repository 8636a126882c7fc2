import assert from 'node:assert/strict'
import { hkdfSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { Secret } from '../shared/secret.ts'
import { deriveKey } from './hkdf.ts'

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

describe('deriveKey', () => {
  it('passes salt and info through as HKDF-SHA256 with UTF-8 info', () => {
    const ikm = new Secret(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'))
    const salt = hex('000102030405060708090a0b0c')
    const expected = new Uint8Array(hkdfSync('sha256', ikm.expose(), salt, 'strongroom/x', 42))
    assert.deepEqual(deriveKey(ikm, salt, 'strongroom/x', 42).expose(), expected)
  })

  it('matches RFC 5869 Appendix A.3 (empty salt and info)', () => {
    const ikm = new Secret(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'))
    const okm = deriveKey(ikm, new Uint8Array(0), '', 42)
    assert.equal(
      Buffer.from(okm.expose()).toString('hex'),
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    )
  })

  it('separates purposes by info and by salt', () => {
    const ikm = new Secret(new Uint8Array(32).fill(7))
    const a = deriveKey(ikm, new Uint8Array(0), 'a').expose()
    const b = deriveKey(ikm, new Uint8Array(0), 'b').expose()
    const c = deriveKey(ikm, new Uint8Array([1]), 'a').expose()
    assert.equal(a.length, 32)
    assert.notDeepEqual(a, b)
    assert.notDeepEqual(a, c)
    assert.deepEqual(deriveKey(ikm, new Uint8Array(0), 'a').expose(), a)
  })

  it('refuses impossible lengths', () => {
    const ikm = new Secret(new Uint8Array(32))
    for (const n of [0, -1, 1.5, 255 * 32 + 1]) {
      assert.throws(() => deriveKey(ikm, new Uint8Array(0), 'x', n), RangeError)
    }
  })
})
