import { createCipheriv, createDecipheriv } from 'node:crypto'
import { AppError } from '../shared/errors.ts'
import type { Random } from '../shared/random.ts'
import type { Secret } from '../shared/secret.ts'

/** Format byte of the sealed layout `0x01 | IV (12) | ciphertext | tag (16)`. */
export const AEAD_FORMAT_V1 = 0x01
/** AES-256 key length in bytes. */
export const AEAD_KEY_LENGTH = 32
// NIST SP 800-38D §8.2.2: a 96-bit random IV; with at most 2^32 messages per key the collision
// bound holds. Every key we seal under is either single-purpose or derived per purpose.
/** IV length in bytes (96 bits, NIST SP 800-38D §5.2.1.1). */
export const AEAD_IV_LENGTH = 12
// NIST SP 800-38D §5.2.1.2 / Appendix C: full 128-bit tags; shorter tags weaken forgery bounds.
/** Authentication tag length in bytes. */
export const AEAD_TAG_LENGTH = 16
/** Bytes a sealed message adds to its plaintext. */
export const AEAD_OVERHEAD = 1 + AEAD_IV_LENGTH + AEAD_TAG_LENGTH

const ALGORITHM = 'aes-256-gcm'

function assertKey(key: Secret): void {
  if (key.length !== AEAD_KEY_LENGTH) {
    // A wrong-sized key is a programmer error, not bad input (STYLE §5.7).
    throw new RangeError(`AES-256-GCM needs a ${String(AEAD_KEY_LENGTH)}-byte key`)
  }
}

/**
 * Encrypts and authenticates `plaintext` with AES-256-GCM under `key`, binding `aad` (associated
 * data that is authenticated but not stored). The result is self-describing:
 * `0x01 | 12-byte random IV | ciphertext | 16-byte tag`.
 *
 * @throws RangeError when the key is not 32 bytes.
 * @example
 * const sealed = seal(key, plaintext, encodeContext('strongroom/x/v1', [id]), cryptoRandom)
 */
export function seal(
  key: Secret,
  plaintext: Uint8Array,
  aad: Uint8Array,
  random: Random,
): Uint8Array {
  assertKey(key)
  const iv = random.bytes(AEAD_IV_LENGTH)
  if (iv.length !== AEAD_IV_LENGTH)
    throw new RangeError('Random returned the wrong number of bytes')
  const cipher = createCipheriv(ALGORITHM, key.expose(), iv, { authTagLength: AEAD_TAG_LENGTH })
  cipher.setAAD(aad)
  const body = cipher.update(plaintext)
  const final = cipher.final()
  const tag = cipher.getAuthTag()
  const out = new Uint8Array(AEAD_OVERHEAD + plaintext.length)
  out[0] = AEAD_FORMAT_V1
  out.set(iv, 1)
  out.set(body, 1 + AEAD_IV_LENGTH)
  out.set(final, 1 + AEAD_IV_LENGTH + body.length)
  out.set(tag, out.length - AEAD_TAG_LENGTH)
  return out
}

/**
 * Authenticates and decrypts a message made by {@link seal}. Any failure — unknown format,
 * truncation, a changed byte, another key or other associated data — gives the same error and
 * never partial plaintext.
 *
 * @throws AppError DECRYPT_FAILED when the message does not authenticate.
 * @throws RangeError when the key is not 32 bytes.
 */
export function open(key: Secret, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  assertKey(key)
  if (sealed.length < AEAD_OVERHEAD || sealed[0] !== AEAD_FORMAT_V1) throw decryptFailed()
  const iv = sealed.subarray(1, 1 + AEAD_IV_LENGTH)
  const body = sealed.subarray(1 + AEAD_IV_LENGTH, sealed.length - AEAD_TAG_LENGTH)
  const tag = sealed.subarray(sealed.length - AEAD_TAG_LENGTH)
  try {
    const decipher = createDecipheriv(ALGORITHM, key.expose(), iv, {
      authTagLength: AEAD_TAG_LENGTH,
    })
    decipher.setAAD(aad)
    decipher.setAuthTag(tag)
    const head = decipher.update(body)
    // final() verifies the tag; until it returns, `head` is unauthenticated and is wiped on
    // failure so it can never escape (NIST SP 800-38D §5.2.2: return FAIL, no plaintext).
    let tail: Buffer
    try {
      tail = decipher.final()
    } catch (e) {
      head.fill(0)
      throw e
    }
    // GCM is a stream mode: final() yields nothing, and `head` is the whole plaintext. It is
    // handed out as a plain Uint8Array view (no copy: every cell read runs this).
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length)
    const out = new Uint8Array(head.length + tail.length)
    out.set(head, 0)
    out.set(tail, head.length)
    head.fill(0)
    tail.fill(0)
    return out
  } catch (e) {
    throw decryptFailed(e)
  }
}

/**
 * The one error of every failure to open (STYLE §5.6): one code and one message, so the caller
 * learns nothing about which check failed.
 */
export function decryptFailed(cause?: unknown): AppError {
  return new AppError('DECRYPT_FAILED', 'The encrypted data could not be authenticated.', {
    cause,
  })
}
