import { constants, privateDecrypt, publicEncrypt } from 'node:crypto'
import { open, seal } from '../../crypto/aead.ts'
import { AppError } from '../../shared/errors.ts'
import type { Random } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import type { Kek } from './kek-material.ts'

/** Format byte of an RSA-OAEP wrapped key: `0x01 | OAEP ciphertext (modulus length)`. */
export const RSA_WRAP_FORMAT_V1 = 0x01
// RFC 8017 §7.1.1: OAEP with SHA-256 (and MGF1-SHA-256) encrypts at most k - 2·32 - 2 bytes.
const OAEP_HASH_LENGTH = 32

function unwrapFailed(cause?: unknown): AppError {
  // One message for tampering, wrong context and wrong key alike (STYLE §5.6).
  return new AppError('KEY_UNWRAP_FAILED', "The wrapped key can't be unwrapped with this key.", {
    cause,
  })
}

/**
 * Wraps `plaintext` under `kek`, bound to `context`.
 *
 * AES-256: AES-256-GCM (the aead.ts format) with `context` as associated data. GCM rather than
 * RFC 3394/5649 AES Key Wrap because key wrap has no associated data, and binding the wrapped
 * key to its tenant/environment/purpose is the point (NIST SP 800-38F §3 allows an approved
 * AEAD mode for key wrapping).
 *
 * RSA: RSA-OAEP with SHA-256 and `context` as the OAEP label (RFC 8017 §7.1.1, label L), so the
 * context is bound as it is for AES.
 */
export function wrapWithKek(
  kek: Kek,
  plaintext: Secret,
  context: Uint8Array,
  random: Random,
): Uint8Array {
  if (kek.type === 'aes-256') return seal(kek.key, plaintext.expose(), context, random)
  const bits = kek.publicKey.asymmetricKeyDetails?.modulusLength ?? 0
  if (plaintext.length > bits / 8 - 2 * OAEP_HASH_LENGTH - 2) {
    throw new RangeError('Plaintext too long for RSA-OAEP with this key')
  }
  const body = publicEncrypt(
    {
      key: kek.publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: context,
    },
    plaintext.expose(),
  )
  const out = new Uint8Array(1 + body.length)
  out[0] = RSA_WRAP_FORMAT_V1
  out.set(body, 1)
  return out
}

/**
 * Reverses {@link wrapWithKek}.
 *
 * @throws AppError KEY_UNWRAP_FAILED when the blob is malformed, altered, wrapped by another
 * key, or wrapped for another context.
 */
export function unwrapWithKek(kek: Kek, wrapped: Uint8Array, context: Uint8Array): Secret {
  if (kek.type === 'aes-256') {
    try {
      return new Secret(open(kek.key, wrapped, context))
    } catch (e) {
      throw unwrapFailed(e)
    }
  }
  const bits = kek.privateKey.asymmetricKeyDetails?.modulusLength ?? 0
  if (wrapped.length !== 1 + bits / 8 || wrapped[0] !== RSA_WRAP_FORMAT_V1) throw unwrapFailed()
  try {
    const out = privateDecrypt(
      {
        key: kek.privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: context,
      },
      wrapped.subarray(1),
    )
    const secret = new Secret(new Uint8Array(out))
    out.fill(0)
    return secret
  } catch (e) {
    throw unwrapFailed(e)
  }
}
