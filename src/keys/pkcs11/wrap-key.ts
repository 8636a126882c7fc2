import { constants, createPublicKey, publicEncrypt } from 'node:crypto'
import type { Secret } from '../../shared/secret.ts'
import type { KeyRef } from '../key-provider.ts'
import type { VersionObjects } from './key-objects.ts'
import { aesGcm, GCM_IV_BYTES, GCM_TAG_BYTES } from './mechanisms.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { usableVersion } from './usable-version.ts'

/** Format byte of every blob this provider makes: RSA `0x01 | c`, AES `0x01 | IV | c | tag`. */
export const PKCS11_WRAP_FORMAT_V1 = 0x01
// RFC 8017 §7.1.1: OAEP with SHA-256 encrypts at most k - 2·32 - 2 bytes.
const OAEP_OVERHEAD = 2 * 32 + 2

function wrapRsa(found: VersionObjects, dek: Uint8Array, context: Uint8Array) {
  if (found.rsa === undefined) throw new TypeError('not an RSA key version')
  // The public half is public: RSA-OAEP encryption needs no secret, so it runs here, with
  // SHA-256, MGF1-SHA-256 and the context as the OAEP label (RFC 8017 §7.1.1). Only decryption
  // needs the private key, and that runs in the token (unwrap-key.ts).
  const publicKey = createPublicKey({
    key: {
      kty: 'RSA',
      n: found.rsa.modulus.toString('base64url'),
      e: found.rsa.publicExponent.toString('base64url'),
    },
    format: 'jwk',
  })
  const k = (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8
  if (dek.length > k - OAEP_OVERHEAD) throw new RangeError('Plaintext too long for RSA-OAEP')
  const c = publicEncrypt(
    {
      key: publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: context,
    },
    dek,
  )
  const out = new Uint8Array(1 + c.length)
  out[0] = PKCS11_WRAP_FORMAT_V1
  out.set(c, 1)
  return out
}

function wrapAes(
  ctx: Pkcs11Context,
  h: Pkcs11Handle,
  found: VersionObjects,
  dek: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  const iv = ctx.random.bytes(GCM_IV_BYTES)
  if (iv.length !== GCM_IV_BYTES) throw new RangeError('Random returned the wrong length')
  // AES-256-GCM in the token with the context as AAD, rather than CKM_AES_KEY_WRAP_PAD
  // (RFC 5649): key wrap has no associated data, and binding the blob to its context is the
  // point (NIST SP 800-38F §3 allows an approved AEAD mode for key wrapping). SoftHSM 2.6 also
  // offers RFC 5649 only through C_WrapKey, which needs the DEK as a token object.
  h.p11.C_EncryptInit(h.session, aesGcm(iv, context), found.key)
  const input = Buffer.from(dek)
  let c: Buffer
  try {
    c = h.p11.C_Encrypt(h.session, input, Buffer.alloc(dek.length + GCM_TAG_BYTES))
  } finally {
    input.fill(0)
  }
  const out = new Uint8Array(1 + GCM_IV_BYTES + c.length)
  out[0] = PKCS11_WRAP_FORMAT_V1
  out.set(iv, 1)
  out.set(c, 1 + GCM_IV_BYTES)
  return out
}

/**
 * Wraps a data key under an enabled key version, bound to `context` (RSA: OAEP label; AES: GCM
 * AAD). The version's status is read from the token first, so a disabled or deleted version
 * refuses to wrap.
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE
 */
export async function wrapKey(
  ctx: Pkcs11Context,
  ref: KeyRef,
  plaintext: Secret,
  context: Uint8Array,
): Promise<Uint8Array> {
  return ctx.session.run(
    (h) => {
      const found = usableVersion(ctx, h, ref)
      return found.type === 'aes-256'
        ? wrapAes(ctx, h, found, plaintext.expose(), context)
        : wrapRsa(found, plaintext.expose(), context)
    },
    { retry: true },
  )
}
