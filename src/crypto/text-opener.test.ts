import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.ts'
import { cryptoRandom } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'
import { seal } from './aead.ts'
import {
  defaultTextOpener,
  nativeTextOpener,
  nodeTextOpener,
  type TextOpener,
} from './text-opener.ts'

const key = (): Secret => new Secret(cryptoRandom.bytes(32))
const aad = new TextEncoder().encode('strongroom/test/v1 cell 1')
const sealText = (k: Secret, text: string, context = aad): Uint8Array =>
  seal(k, new TextEncoder().encode(text), context, cryptoRandom)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const decryptFailed = (e: unknown): boolean =>
  e instanceof AppError &&
  e.code === 'DECRYPT_FAILED' &&
  e.message === 'The encrypted data could not be authenticated.'

describe('native text opener', () => {
  it('is built by npm install and is the default', () => {
    // `npm install` compiles native/aead; the suite runs after it (scripts/ensure-deps.mjs).
    assert.equal(nativeTextOpener()?.backend, 'native')
    assert.equal(defaultTextOpener().backend, 'native')
  })
})

const native = nativeTextOpener()
const openers: TextOpener[] = native === undefined ? [nodeTextOpener()] : [nodeTextOpener(), native]

for (const opener of openers) {
  describe(`text opener on ${opener.backend}`, () => {
    it('opens what seal made, as bytes or hex in either case', () => {
      const k = key()
      for (const text of ['', 'a', 'NID-000000007919', 'Zoë ✓ 𝄞 — ü', 'x'.repeat(5000)]) {
        const sealed = sealText(k, text)
        assert.equal(opener.open(k, sealed, aad), text)
        assert.equal(opener.open(k, hex(sealed), aad), text)
        assert.equal(opener.open(k, hex(sealed).toUpperCase(), aad), text)
        assert.equal(opener.open(k, Buffer.from(sealed), aad), text)
      }
    })

    it('opens large multi-byte texts (past any stack buffer)', () => {
      const k = key()
      const text = '𝄞é✓a'.repeat(30_000)
      const sealed = sealText(k, text)
      assert.equal(opener.open(k, sealed, aad), text)
      assert.equal(opener.open(k, hex(sealed), aad), text)
    })

    it('refuses a change to any byte: format, IV, ciphertext, tag', () => {
      const k = key()
      const sealed = sealText(k, 'attack at dawn')
      for (let i = 0; i < sealed.length; i++) {
        const copy = sealed.slice()
        copy[i] = (copy[i] ?? 0) ^ 0x01
        assert.throws(() => opener.open(k, copy, aad), decryptFailed, `byte ${String(i)}`)
        assert.throws(() => opener.open(k, hex(copy), aad), decryptFailed, `hex byte ${String(i)}`)
      }
    })

    it('refuses another key, other associated data, and a truncated or extended message', () => {
      const k = key()
      const sealed = sealText(k, 'attack at dawn')
      assert.throws(() => opener.open(key(), sealed, aad), decryptFailed)
      assert.throws(() => opener.open(k, sealed, new Uint8Array(0)), decryptFailed)
      assert.throws(() => opener.open(k, sealed, aad.subarray(1)), decryptFailed)
      for (let n = 0; n < sealed.length; n++) {
        assert.throws(() => opener.open(k, sealed.subarray(0, n), aad), decryptFailed)
      }
      const longer = new Uint8Array(sealed.length + 1)
      longer.set(sealed)
      assert.throws(() => opener.open(k, longer, aad), decryptFailed)
    })

    it('refuses text that is not whole hex of a sealed message', () => {
      const k = key()
      const h = hex(sealText(k, 'attack at dawn'))
      for (const bad of [
        '',
        `${h}0`,
        `${h}zz`,
        `zz${h}`,
        h.slice(2),
        `${h.slice(0, 10)} ${h.slice(11)}`,
        `${h.slice(0, 10)}é${h.slice(11)}`,
        `${h.slice(0, 10)}\u0100${h.slice(11)}`,
        'attack at dawn',
      ]) {
        assert.throws(() => opener.open(k, bad, aad), decryptFailed, bad)
      }
    })

    it('opens a message with empty associated data only under empty associated data', () => {
      const k = key()
      const sealed = sealText(k, 'no context', new Uint8Array(0))
      assert.equal(opener.open(k, sealed, new Uint8Array(0)), 'no context')
      assert.throws(() => opener.open(k, sealed, aad), decryptFailed)
    })

    it('treats a wrong-sized key as a programmer error', () => {
      const sealed = sealText(key(), 'x')
      assert.throws(() => opener.open(new Secret(new Uint8Array(16)), sealed, aad), RangeError)
    })
  })
}

describe('native text opener arguments', { skip: native === undefined }, () => {
  it('throws a TypeError for arguments of the wrong type, and keeps working after', () => {
    const k = key()
    const sealed = sealText(k, 'still fine')
    const raw = nativeTextOpener()
    assert.ok(raw !== undefined)
    for (const bad of [42, null, undefined, {}, new Uint16Array(40)]) {
      assert.throws(() => raw.open(k, bad as Uint8Array, aad), TypeError)
      assert.throws(() => raw.open(k, sealed, bad as Uint8Array), TypeError)
    }
    assert.equal(raw.open(k, sealed, aad), 'still fine')
  })
})
