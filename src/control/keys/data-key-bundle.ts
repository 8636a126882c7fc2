import { DATA_KEY_LENGTH } from '../../keys/envelope.ts'
import { AppError } from '../../shared/errors.ts'
import { Secret } from '../../shared/secret.ts'
import type { DataKeyKind } from '../environments/unwrap-data-key.ts'

/**
 * What `environments.wrapped_field_key` holds in key layout 'together' (the field key is inside
 * `wrapped_dek`): an empty blob, never NULL. NULL means "no field key yet", and a build from
 * before control schema 8 still running against the same database would create one; an empty
 * blob makes it fail closed instead (it can't unwrap).
 */
export const FIELD_KEY_INSIDE = new Uint8Array(0)

/**
 * An environment's DEK and field key as one secret, `DEK ‖ field key` (64 bytes): what an
 * environment of key layout 'together' wraps in one blob (purpose 'environment-keys'), so one
 * unwrap — one private-key operation in an HSM — yields both. The parts stay the caller's;
 * dispose the result once wrapped.
 * @throws AppError KEY_UNWRAP_FAILED when a part is not a 32-byte key
 */
export function joinDataKeys(dek: Secret, fieldKey: Secret): Secret {
  if (dek.length !== DATA_KEY_LENGTH || fieldKey.length !== DATA_KEY_LENGTH) throw notTwoKeys()
  const both = new Uint8Array(2 * DATA_KEY_LENGTH)
  both.set(dek.expose(), 0)
  both.set(fieldKey.expose(), DATA_KEY_LENGTH)
  return new Secret(both)
}

/**
 * Checks that an unwrapped joint blob is two 32-byte keys, and returns it.
 * @throws AppError KEY_UNWRAP_FAILED (the Secret is disposed then)
 */
export function assertTwoKeys(both: Secret): Secret {
  if (both.length === 2 * DATA_KEY_LENGTH) return both
  both.dispose()
  throw notTwoKeys()
}

/**
 * One key of an unwrapped `DEK ‖ field key`, as a Secret of its own; `both` is disposed.
 * @throws AppError KEY_UNWRAP_FAILED when `both` is not two 32-byte keys
 */
export function dataKeyOf(both: Secret, kind: DataKeyKind): Secret {
  assertTwoKeys(both)
  try {
    const at = kind === 'environment-db' ? 0 : DATA_KEY_LENGTH
    return new Secret(both.expose().slice(at, at + DATA_KEY_LENGTH))
  } finally {
    both.dispose()
  }
}

// Authentic but not what a joint blob holds: a damaged or foreign blob, refused like one that
// doesn't authenticate (the same code and message as the providers').
function notTwoKeys(): AppError {
  return new AppError('KEY_UNWRAP_FAILED', "The wrapped key can't be unwrapped with this key.")
}
