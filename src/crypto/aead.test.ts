import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.ts'
import { cryptoRandom } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'
import { AEAD_FORMAT_V1, AEAD_OVERHEAD, open, seal } from './aead.ts'

const key = (): Secret => new Secret(cryptoRandom.bytes(32))
const text = new TextEncoder().encode('attack at dawn')
const aad = new TextEncoder().encode('context-a')
const decryptFailed = (e: unknown): boolean => e instanceof AppError && e.code === 'DECRYPT_FAILED'

describe('aead', () => {
  it('round-trips and uses the versioned layout', () => {
    const k = key()
    const sealed = seal(k, text, aad, cryptoRandom)
    assert.equal(sealed.length, text.length + AEAD_OVERHEAD)
    assert.equal(sealed[0], AEAD_FORMAT_V1)
    assert.deepEqual(open(k, sealed, aad), text)
  })

  it('round-trips an empty plaintext', () => {
    const k = key()
    assert.deepEqual(open(k, seal(k, new Uint8Array(0), aad, cryptoRandom), aad), new Uint8Array(0))
  })

  it('uses a fresh IV each time', () => {
    const k = key()
    assert.notDeepEqual(seal(k, text, aad, cryptoRandom), seal(k, text, aad, cryptoRandom))
  })

  it('rejects a change to any byte (version, IV, ciphertext, tag)', () => {
    const k = key()
    const sealed = seal(k, text, aad, cryptoRandom)
    for (let i = 0; i < sealed.length; i++) {
      const copy = sealed.slice()
      copy[i] = (copy[i] ?? 0) ^ 0x01
      assert.throws(() => open(k, copy, aad), decryptFailed, `byte ${String(i)}`)
    }
  })

  it('rejects other associated data', () => {
    const k = key()
    const sealed = seal(k, text, aad, cryptoRandom)
    assert.throws(() => open(k, sealed, new TextEncoder().encode('context-b')), decryptFailed)
    assert.throws(() => open(k, sealed, new Uint8Array(0)), decryptFailed)
  })

  it('rejects another key', () => {
    const sealed = seal(key(), text, aad, cryptoRandom)
    assert.throws(() => open(key(), sealed, aad), decryptFailed)
  })

  it('rejects truncated input, down to nothing', () => {
    const k = key()
    const sealed = seal(k, text, aad, cryptoRandom)
    for (let n = 0; n < sealed.length; n++) {
      assert.throws(() => open(k, sealed.subarray(0, n), aad), decryptFailed, `length ${String(n)}`)
    }
  })

  it('rejects appended bytes', () => {
    const k = key()
    const sealed = seal(k, text, aad, cryptoRandom)
    const longer = new Uint8Array(sealed.length + 1)
    longer.set(sealed)
    assert.throws(() => open(k, longer, aad), decryptFailed)
  })

  it('gives one message for every failure, without the inputs', () => {
    const k = key()
    const sealed = seal(k, text, aad, cryptoRandom)
    const messages = new Set<string>()
    for (const attempt of [
      () => open(k, sealed.subarray(0, 3), aad),
      () => open(key(), sealed, aad),
      () => open(k, sealed, new Uint8Array(1)),
    ]) {
      try {
        attempt()
        assert.fail('expected a failure')
      } catch (e) {
        assert.ok(e instanceof AppError)
        messages.add(e.message)
      }
    }
    assert.equal(messages.size, 1)
  })

  it('refuses keys that are not 32 bytes', () => {
    for (const n of [0, 16, 24, 31, 33, 64]) {
      const bad = new Secret(new Uint8Array(n))
      assert.throws(() => seal(bad, text, aad, cryptoRandom), RangeError)
      assert.throws(() => open(bad, new Uint8Array(64), aad), RangeError)
    }
  })
})
