import type { KeyRef } from '../key-provider.ts'
import type { Secret } from '../../shared/secret.ts'
import { wrapWithKek } from './kek-wrap.ts'
import { usableKek } from './usable-kek.ts'
import type { VaultContext } from './vault-context.ts'
import { guarded } from './vault-errors.ts'

/**
 * Wraps a data key under an enabled key version, bound to `context`.
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE, VAULT_CORRUPT
 */
export function wrapKey(
  ctx: VaultContext,
  ref: KeyRef,
  plaintext: Secret,
  context: Uint8Array,
): Uint8Array {
  const kek = guarded(() => usableKek(ctx, ref))
  return wrapWithKek(kek, plaintext, context, ctx.random)
}
