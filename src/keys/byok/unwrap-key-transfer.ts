import { constants, createDecipheriv, createPrivateKey, privateDecrypt } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { isAppError } from '../../shared/errors.ts'
import type { ByokKeyType } from './byok-rows.ts'
import { wrappedInvalid } from './exchange-key.ts'

/** The largest wrapped blob accepted: RSA-4096 PKCS#8 (~2.4 KB) + the KEK block, with room. */
export const MAX_WRAPPED_BYTES = 16 * 1024

/** The OAEP hash of the AES key's wrap (CKM_RSA_AES_KEY_WRAP's CK_RSA_PKCS_OAEP_PARAMS). */
export type OaepHash = 'sha-256' | 'sha-1'

const RSA_TYPES = { 2048: 'rsa-2048', 3072: 'rsa-3072', 4096: 'rsa-4096' } as const
// RFC 5649 §3: the alternative initial value of AES Key Wrap with Padding.
const KWP_AIV = Buffer.from('a65959a6', 'hex')
const AES_256_BYTES = 32

/**
 * Unwraps a CKM_RSA_AES_KEY_WRAP blob (PKCS#11 v2.40 §2.1.21) with the key-exchange key and
 * validates the key inside. The blob is `RSA-OAEP(KEK, AES-256 key) ‖ KWP(AES key, PKCS#8)`:
 * the first k bytes (k = the KEK's modulus length) are the AES key wrapped with RSA-OAEP
 * (MGF1 with the same hash, empty label; RFC 8017 §7.1), the rest the private key's PKCS#8
 * wrapped with AES Key Wrap with Padding (RFC 5649, `id-aes256-wrap-pad`). Rules, each with
 * its own message and never the input: not empty, at most 16 KiB, longer than the KEK block;
 * it unwraps (a wrong KEK, a changed byte or a truncation all fail here, with one message);
 * the result is a PKCS#8 private key; RSA (EC and others refused) of 2048, 3072 or 4096 bits;
 * its components are consistent (n = p·q, e·d ≡ 1 mod p−1 and q−1, the CRT values).
 *
 * @returns the key's PKCS#8 DER (the caller seals it and wipes it) and type.
 * @throws AppError KEY_IMPORT_INVALID
 */
export function unwrapKeyTransfer(
  kek: KeyObject,
  blob: Uint8Array,
  hash: OaepHash,
): { type: ByokKeyType; privateKeyDer: Uint8Array } {
  if (blob.length === 0) throw wrappedInvalid('the file is empty')
  if (blob.length > MAX_WRAPPED_BYTES) {
    throw wrappedInvalid(`the blob is larger than ${String(MAX_WRAPPED_BYTES / 1024)} KiB`)
  }
  const k = (kek.asymmetricKeyDetails?.modulusLength ?? 0) / 8
  // RFC 5649 §4.1: the smallest wrapped key is 16 bytes.
  if (blob.length < k + 16 || (blob.length - k) % 8 !== 0) {
    throw wrappedInvalid(
      'the blob is truncated or not an RSA-AES key wrap for this key-exchange key',
    )
  }
  const unwrapFailed = (cause?: unknown) =>
    wrappedInvalid(
      'it could not be unwrapped with the key-exchange key it names (wrapped for another key-exchange key, another OAEP hash, or altered)',
      cause,
    )
  let aesKey: Buffer
  try {
    aesKey = privateDecrypt(
      { key: kek, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash.replace('-', '') },
      blob.subarray(0, k),
    )
  } catch (e) {
    throw unwrapFailed(e)
  }
  let der: Buffer
  try {
    if (aesKey.length !== AES_256_BYTES) throw unwrapFailed()
    const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, KWP_AIV)
    der = Buffer.concat([decipher.update(blob.subarray(k)), decipher.final()])
  } catch (e) {
    if (isAppError(e)) throw e
    throw unwrapFailed(e)
  } finally {
    aesKey.fill(0)
  }
  try {
    return { type: validate(der), privateKeyDer: new Uint8Array(der) }
  } finally {
    der.fill(0)
  }
}

function validate(der: Buffer): ByokKeyType {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch (e) {
    throw wrappedInvalid('the unwrapped key is not a PKCS#8 private key', e)
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw wrappedInvalid(
      `the key is ${key.asymmetricKeyType?.toUpperCase() ?? 'not RSA'}; only RSA keys can be imported`,
    )
  }
  const bits = key.asymmetricKeyDetails?.modulusLength
  const type = bits === 2048 || bits === 3072 || bits === 4096 ? RSA_TYPES[bits] : undefined
  if (type === undefined) {
    throw wrappedInvalid(`the RSA key has ${String(bits)} bits; 2048, 3072 or 4096 are allowed`)
  }
  assertConsistent(key)
  return type
}

/**
 * The private key's components agree with each other and with the public half (RFC 8017
 * §3.2): a key whose CRT values were damaged or swapped would make wrong decryptions, or
 * (with OpenSSL's fallback) hide a mismatch until a DEK fails to unwrap.
 */
function assertConsistent(key: KeyObject): void {
  const jwk = key.export({ format: 'jwk' })
  const big = (v: string | undefined): bigint =>
    v === undefined ? 0n : BigInt(`0x${Buffer.from(v, 'base64url').toString('hex') || '0'}`)
  const [n, e, d, p, q, dp, dq, qi] = [
    jwk.n,
    jwk.e,
    jwk.d,
    jwk.p,
    jwk.q,
    jwk.dp,
    jwk.dq,
    jwk.qi,
  ].map(big)
  const ok =
    n !== undefined &&
    e !== undefined &&
    d !== undefined &&
    p !== undefined &&
    q !== undefined &&
    dp !== undefined &&
    dq !== undefined &&
    qi !== undefined &&
    p > 1n &&
    q > 1n &&
    p * q === n &&
    (e * d) % (p - 1n) === 1n &&
    (e * d) % (q - 1n) === 1n &&
    dp === d % (p - 1n) &&
    dq === d % (q - 1n) &&
    (qi * q) % p === 1n
  if (!ok) throw wrappedInvalid("the private key's components are inconsistent")
}
