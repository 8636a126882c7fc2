import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
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
const sealText = (k: Secret, text: string, context: Uint8Array = aad): Uint8Array =>
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

    it('keeps a byte-order mark and refuses authentic bytes that are not well-formed UTF-8', () => {
      const k = key()
      assert.equal(opener.open(k, sealText(k, '\uFEFFbom'), aad), '\uFEFFbom')
      for (const bytes of [
        [0xff],
        [0xc0, 0x80], // overlong NUL
        [0xe0, 0x80, 0xaf], // overlong '/'
        [0xed, 0xa0, 0x80], // a surrogate (U+D800)
        [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
        [0x61, 0xe2, 0x82], // truncated sequence
        [0x80, 0x61], // a lone continuation byte
      ]) {
        const sealed = seal(k, new Uint8Array(bytes), aad, cryptoRandom)
        assert.throws(() => opener.open(k, sealed, aad), decryptFailed, bytes.join(','))
      }
    })

    it('opens an empty text under associated data longer than any stack buffer', () => {
      const k = key()
      const long = cryptoRandom.bytes(10_000)
      assert.equal(opener.open(k, sealText(k, '', long), long), '')
      assert.equal(opener.open(k, sealText(k, 'x', long), long), 'x')
    })

    it('treats a wrong-sized key as a programmer error', () => {
      const sealed = sealText(key(), 'x')
      assert.throws(() => opener.open(new Secret(new Uint8Array(16)), sealed, aad), RangeError)
    })
  })
}

describe('native text opener in a worker thread', { skip: native === undefined }, () => {
  it('loads per thread and opens there what the main thread sealed', async () => {
    const k = key()
    const sealed = sealText(k, 'from the main thread')
    const module = new URL('./text-opener.js', import.meta.url).href
    const secret = new URL('../shared/secret.js', import.meta.url).href
    const worker = new Worker(
      `import { parentPort, workerData } from 'node:worker_threads'
       const { nativeTextOpener } = await import(workerData.module)
       const { Secret } = await import(workerData.secret)
       const opener = nativeTextOpener()
       parentPort.postMessage(opener.open(new Secret(workerData.key), workerData.sealed, workerData.aad))`,
      { eval: true, workerData: { module, secret, key: k.expose(), sealed, aad } },
    )
    const [text] = (await once(worker, 'message')) as [string]
    assert.equal(text, 'from the main thread')
    await worker.terminate()
    // The main thread's instance is unaffected by the worker's going away.
    assert.equal(native?.open(k, sealed, aad), 'from the main thread')
  })
})

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
