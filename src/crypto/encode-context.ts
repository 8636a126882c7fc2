const MAX_FIELD_BYTES = 0xffff

/**
 * Encodes a domain label and fields as associated data that can't be confused with any other
 * encoding: each part is a 4-byte big-endian length followed by its UTF-8 bytes. Plain
 * concatenation would let `('ab', 'c')` collide with `('a', 'bc')` (the canonicalisation issue
 * NIST SP 800-108r1 §4 and SP 800-56C address with fixed-length or length-prefixed fields).
 *
 * @throws RangeError when a part is longer than 65535 UTF-8 bytes.
 * @example
 * encodeContext('strongroom/dek/v1', ['environment-db', tenantId, environmentId])
 */
export function encodeContext(domain: string, fields: readonly string[]): Uint8Array {
  const encoder = new TextEncoder()
  const parts = [domain, ...fields].map((p) => encoder.encode(p))
  let total = 0
  for (const p of parts) {
    if (p.length > MAX_FIELD_BYTES) throw new RangeError('context field too long')
    total += 4 + p.length
  }
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let at = 0
  for (const p of parts) {
    view.setUint32(at, p.length, false)
    out.set(p, at + 4)
    at += 4 + p.length
  }
  return out
}
