import { createHash } from 'node:crypto'

/** SHA-256 output length (hLen in RFC 8017). */
const H_LEN = 32

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

/** RFC 8017 Appendix B.2.1: MGF1 with SHA-256. */
function mgf1(seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / H_LEN) * H_LEN)
  const counter = Buffer.alloc(4)
  for (let i = 0; i * H_LEN < length; i++) {
    counter.writeUInt32BE(i, 0)
    sha256(seed, counter).copy(out, i * H_LEN)
  }
  return out.subarray(0, length)
}

/**
 * RFC 8017 §7.1.2 step 3 (EME-OAEP decoding) with SHA-256 and MGF1-SHA-256, for tokens that can
 * only do the raw RSA step (CKM_RSA_X_509) in hardware. `em` is the k-byte integer-to-octet
 * output of the RSA decryption primitive.
 *
 * Every check runs over the whole block and the failures are merged into one flag before the
 * single branch, so the time taken does not say which check failed (RFC 8017 §7.1.2 Note, the
 * Manger attack). Returns undefined on any failure; the caller reports one uniform error.
 */
export function oaepDecodeSha256(em: Uint8Array, label: Uint8Array): Uint8Array | undefined {
  const k = em.length
  // RFC 8017 §7.1.2 step 1: k ≥ 2hLen + 2.
  if (k < 2 * H_LEN + 2) return undefined
  const lHash = sha256(label)
  const maskedSeed = em.subarray(1, 1 + H_LEN)
  const maskedDb = em.subarray(1 + H_LEN)
  const seed = Buffer.from(mgf1(maskedDb, H_LEN))
  for (let i = 0; i < H_LEN; i++) seed[i] = (seed[i] ?? 0) ^ (maskedSeed[i] ?? 0)
  const db = Buffer.from(mgf1(seed, k - H_LEN - 1))
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (maskedDb[i] ?? 0)
  seed.fill(0)

  // bad != 0 ⇔ Y ≠ 0, lHash' ≠ lHash, or no 0x01 separator after the zero padding.
  let bad = em[0] ?? 1
  for (let i = 0; i < H_LEN; i++) bad |= (db[i] ?? 0) ^ (lHash[i] ?? 0)
  let found = 0 // 1 once the separator has been seen
  let index = 0 // position of the separator
  for (let i = H_LEN; i < db.length; i++) {
    const b = db[i] ?? 0
    const isOne = ((b ^ 0x01) - 1) >>> 31 // 1 iff b === 0x01
    const isZero = (b - 1) >>> 31 // 1 iff b === 0x00
    const first = isOne & (found ^ 1)
    index |= -first & i
    found |= first
    // Before the separator only zero bytes are allowed.
    bad |= (found ^ 1) & (isZero ^ 1) & (isOne ^ 1)
  }
  bad |= found ^ 1
  if (bad !== 0) {
    db.fill(0)
    return undefined
  }
  const message = new Uint8Array(db.subarray(index + 1))
  db.fill(0)
  return message
}
