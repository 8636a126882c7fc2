import { DATA_KEY_LENGTH } from '../../keys/envelope.ts'
import { AppError } from '../../shared/errors.ts'
import { Secret } from '../../shared/secret.ts'
import type { DataKeyKind } from '../environments/unwrap-data-key.ts'

/**
 * An environment's DEK and field key as one secret, `DEK ‖ field key` (64 bytes): what an
 * environment of key layout 'together' wraps in one blob (purpose 'environment-keys'), so one
 * unwrap — one private-key operation in an HSM — yields both. The parts stay the caller's;
 * dispose the result once wrapped.
 */
export function joinDataKeys(dek: Secret, fieldKey: Secret): Secret {
  if (dek.length !== DATA_KEY_LENGTH || fieldKey.length !== DATA_KEY_LENGTH) {
    throw new RangeError('data keys are 32 bytes')
  }
  const both = new Uint8Array(2 * DATA_KEY_LENGTH)
  both.set(dek.expose(), 0)
  both.set(fieldKey.expose(), DATA_KEY_LENGTH)
  return new Secret(both)
}

/**
 * One key of an unwrapped `DEK ‖ field key`, as a Secret of its own; `both` is disposed.
 * @throws AppError KEY_UNWRAP_FAILED when `both` is not two 32-byte keys
 */
export function dataKeyOf(both: Secret, kind: DataKeyKind): Secret {
  try {
    if (both.length !== 2 * DATA_KEY_LENGTH) {
      throw new AppError('KEY_UNWRAP_FAILED', "The wrapped key can't be unwrapped with this key.")
    }
    const at = kind === 'environment-db' ? 0 : DATA_KEY_LENGTH
    return new Secret(both.expose().slice(at, at + DATA_KEY_LENGTH))
  } finally {
    both.dispose()
  }
}
