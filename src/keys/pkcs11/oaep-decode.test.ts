import assert from 'node:assert/strict'
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../../shared/random.ts'
import { oaepDecodeSha256 } from './oaep-decode.ts'

describe('oaepDecodeSha256 (RFC 8017 §7.1.2)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const encrypt = (m: Uint8Array, label: Uint8Array): Buffer =>
    publicEncrypt(
      {
        key: publicKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: label,
      },
      m,
    )
  // The raw RSA step a CKM_RSA_X_509 token does.
  const raw = (c: Buffer): Buffer =>
    privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, c)
  const label = new TextEncoder().encode('strongroom/dek/v1 context')

  it('decodes what node:crypto OAEP-SHA-256 encrypts, for several lengths', () => {
    for (const n of [0, 1, 16, 32, 190]) {
      const m = cryptoRandom.bytes(n)
      assert.deepEqual(oaepDecodeSha256(raw(encrypt(m, label)), label), m)
    }
  })

  it('refuses another label', () => {
    const em = raw(encrypt(cryptoRandom.bytes(32), label))
    assert.equal(oaepDecodeSha256(em, new TextEncoder().encode('other')), undefined)
  })

  it('refuses a changed block, a non-zero first byte and a short block', () => {
    const em = raw(encrypt(cryptoRandom.bytes(32), label))
    for (const at of [0, 1, 40, em.length - 1]) {
      const bad = Buffer.from(em)
      bad[at] = (bad[at] ?? 0) ^ 0x01
      assert.equal(oaepDecodeSha256(bad, label), undefined, `byte ${String(at)}`)
    }
    assert.equal(oaepDecodeSha256(new Uint8Array(65), label), undefined)
  })

  it('refuses a ciphertext that was not OAEP-encoded', () => {
    const pkcs1 = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      cryptoRandom.bytes(32),
    )
    assert.equal(oaepDecodeSha256(raw(pkcs1), label), undefined)
  })
})
