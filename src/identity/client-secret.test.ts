import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../shared/random.ts'
import { generateClientSecret, hashClientSecret, verifyClientSecret } from './client-secret.ts'

describe('client secrets', () => {
  it('are 256 random bits, base64url, and print as [redacted]', () => {
    const secret = generateClientSecret(cryptoRandom)
    const text = new TextDecoder().decode(secret.expose())
    assert.match(text, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(String(secret), '[redacted]')
    assert.notEqual(text, new TextDecoder().decode(generateClientSecret(cryptoRandom).expose()))
  })

  it('hash with a per-secret salt and verify only the right secret', async () => {
    const secret = generateClientSecret(cryptoRandom)
    const text = new TextDecoder().decode(secret.expose())
    const h1 = await hashClientSecret(secret, cryptoRandom)
    const h2 = await hashClientSecret(secret, cryptoRandom)
    assert.notEqual(h1, h2)
    assert.ok(!h1.includes(text))
    assert.equal(await verifyClientSecret(text, h1), true)
    assert.equal(await verifyClientSecret(text, h2), true)
    assert.equal(await verifyClientSecret(`${text}x`, h1), false)
    assert.equal(await verifyClientSecret('', h1), false)
    assert.equal(await verifyClientSecret('x'.repeat(600), h1), false)
  })

  it('treat a malformed or plaintext stored value as no match', async () => {
    assert.equal(await verifyClientSecret('secret', 'secret'), false)
    assert.equal(await verifyClientSecret('secret', 'scrypt$3$8$1$AAAA$AAAA'), false)
    assert.equal(await verifyClientSecret('secret', 'scrypt$16384$8$1$AAAA$AAAA'), false)
  })
})
