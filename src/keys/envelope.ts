import { encodeContext } from '../crypto/encode-context.ts'
import type { Random } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'

/** Data encryption key length: 256 bits (AES-256, and the SQLite cipher raw key size). */
export const DATA_KEY_LENGTH = 32

/**
 * What a data encryption key protects. `environment-keys` wraps an environment's DEK and field
 * key together (DEK ‖ field key, 64 bytes), so one unwrap yields both (control schema 8).
 */
export type DekPurpose = 'environment-db' | 'field' | 'environment-keys' | 'backup'

const DEK_PURPOSES: readonly DekPurpose[] = [
  'environment-db',
  'field',
  'environment-keys',
  'backup',
]
const MAX_ID_LENGTH = 128

/**
 * A fresh random data encryption key (DEK). Wrap it with {@link KeyProvider.wrap} before storing
 * it anywhere (DESIGN invariant 3).
 */
export function generateDataKey(random: Random): Secret {
  const bytes = random.bytes(DATA_KEY_LENGTH)
  if (bytes.length !== DATA_KEY_LENGTH) throw new RangeError('Random returned the wrong length')
  return new Secret(bytes)
}

/**
 * The wrap context of a data key: its purpose, tenant and environment, encoded deterministically
 * and unambiguously (length-prefixed UTF-8 after the 'strongroom/dek/v1' label). A DEK wrapped
 * for one environment does not unwrap as another's, nor as another purpose of the same one.
 *
 * @throws RangeError when an id is empty or longer than 128 characters, or the purpose is unknown.
 * @example
 * const context = dekContext({ purpose: 'environment-db', tenantId, environmentId })
 * const wrapped = await provider.wrap(ref, dek, context)
 */
export function dekContext(parts: {
  purpose: DekPurpose
  tenantId: string
  environmentId: string
}): Uint8Array {
  // Callers are typed, but this is security-relevant, so check at run time too (jose style).
  if (!DEK_PURPOSES.includes(parts.purpose)) throw new RangeError('Unknown DEK purpose')
  for (const id of [parts.tenantId, parts.environmentId]) {
    if (id.length === 0 || id.length > MAX_ID_LENGTH) throw new RangeError('Bad id in DEK context')
  }
  return encodeContext('strongroom/dek/v1', [parts.purpose, parts.tenantId, parts.environmentId])
}
