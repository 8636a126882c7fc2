import type { Secret } from '../../shared/secret.ts'
import type { KeyRef } from '../key-provider.ts'
import { unwrapWithKek } from './kek-wrap.ts'
import { usableKek } from './usable-kek.ts'
import type { VaultContext } from './vault-context.ts'
import { guarded } from './vault-errors.ts'

/**
 * Unwraps a data key wrapped by {@link wrapKey} with the same version and context.
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE, KEY_UNWRAP_FAILED, VAULT_CORRUPT
 */
export function unwrapKey(
  ctx: VaultContext,
  ref: KeyRef,
  wrapped: Uint8Array,
  context: Uint8Array,
): Secret {
  const kek = guarded(() => usableKek(ctx, ref))
  return unwrapWithKek(kek, wrapped, context)
}
