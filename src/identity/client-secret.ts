import { scrypt, timingSafeEqual } from 'node:crypto'
import type { Random } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'

/** 256 bits: the secret is a random key, not a password (RFC 6749 §10.10, RFC 6819 §5.1.4.2.2). */
export const CLIENT_SECRET_BYTES = 32
const SALT_BYTES = 16
const HASH_BYTES = 32
// scrypt (RFC 7914) cost. The secret already has 256 bits of entropy, so the cost only has to
// make a stolen table useless for precomputation, not slow a guesser; it is kept low because
// every token request pays it. Parameters are stored with the hash, so they can be raised.
const N = 2 ** 14
const R = 8
const P = 1
const MAX_SECRET_LENGTH = 512
const FORMAT =
  /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{1,64})\$([A-Za-z0-9_-]{1,128})$/

const derive = (secret: Uint8Array, salt: Uint8Array, n: number, r: number, p: number) =>
  new Promise<Buffer>((resolve, reject) => {
    scrypt(secret, salt, HASH_BYTES, { N: n, r, p, maxmem: 256 * n * r }, (err, key) => {
      if (err === null) resolve(key)
      else reject(err)
    })
  })

/** A new client secret: 32 random bytes, base64url (43 characters), as UTF-8 in a Secret. */
export function generateClientSecret(random: Random): Secret {
  const text = Buffer.from(random.bytes(CLIENT_SECRET_BYTES)).toString('base64url')
  return new Secret(new Uint8Array(Buffer.from(text, 'utf8')))
}

/**
 * Hashes a client secret for storage: `scrypt$N$r$p$<salt>$<hash>` with a random per-secret salt
 * (RFC 6819 §5.1.4.1.3: store hashes of client credentials, never the credentials).
 */
export async function hashClientSecret(secret: Secret, random: Random): Promise<string> {
  const salt = random.bytes(SALT_BYTES)
  const hash = await derive(secret.expose(), salt, N, R, P)
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url')
  return `scrypt$${String(N)}$${String(R)}$${String(P)}$${b64(salt)}$${b64(hash)}`
}

/**
 * Whether `candidate` is the secret `stored` was made from. The hashes are compared in constant
 * time; a malformed stored value or an over-long candidate is simply false.
 */
export async function verifyClientSecret(candidate: string, stored: string): Promise<boolean> {
  if (candidate.length === 0 || candidate.length > MAX_SECRET_LENGTH) return false
  const m = FORMAT.exec(stored)
  if (m === null) return false
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (n < 2 || (n & (n - 1)) !== 0 || n > 2 ** 20 || r < 1 || p < 1) return false
  const salt = Buffer.from(m[4] ?? '', 'base64url')
  const expected = Buffer.from(m[5] ?? '', 'base64url')
  if (expected.length !== HASH_BYTES) return false
  const actual = await derive(Buffer.from(candidate, 'utf8'), salt, n, r, p)
  return timingSafeEqual(actual, expected)
}
