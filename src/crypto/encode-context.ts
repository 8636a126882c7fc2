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
  // Sized first, then each part encoded in place: this runs for every encrypted cell read, so
  // it avoids an intermediate array per part.
  let total = 4 + utf8Length(domain)
  for (const f of fields) total += 4 + utf8Length(f)
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let at = put(out, view, 0, domain)
  for (const f of fields) at = put(out, view, at, f)
  return out
}

const ENCODER = new TextEncoder()

function utf8Length(part: string): number {
  const n = Buffer.byteLength(part, 'utf8')
  if (n > MAX_FIELD_BYTES) throw new RangeError('context field too long')
  return n
}

/** Writes `len(part) ‖ UTF-8(part)` at `at`; returns the offset after it. */
function put(out: Uint8Array, view: DataView, at: number, part: string): number {
  const { written } = ENCODER.encodeInto(part, out.subarray(at + 4))
  view.setUint32(at, written, false)
  return at + 4 + written
}
