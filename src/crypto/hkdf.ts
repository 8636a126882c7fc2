import { hkdfSync } from 'node:crypto'
import { Secret } from '../shared/secret.ts'

// RFC 5869 §2.3: L <= 255 * HashLen.
const MAX_LENGTH = 255 * 32

/**
 * Derives `length` bytes from input keying material with HKDF-SHA256 (RFC 5869). Distinct `info`
 * strings give independent keys from the same `ikm` (RFC 5869 §3.2), which is how one master
 * key serves several purposes.
 *
 * @throws RangeError when `length` is not 1..8160.
 * @example
 * const kek = deriveKey(master, salt, 'strongroom/keyring/v1')
 */
export function deriveKey(ikm: Secret, salt: Uint8Array, info: string, length = 32): Secret {
  if (!Number.isInteger(length) || length < 1 || length > MAX_LENGTH) {
    throw new RangeError('HKDF output length must be 1..8160 bytes')
  }
  return new Secret(new Uint8Array(hkdfSync('sha256', ikm.expose(), salt, info, length)))
}
