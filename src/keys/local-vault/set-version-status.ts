import type { KeyRef, KeyVersionStatus } from '../key-provider.ts'
import * as rows from '../key-store/key-rows.ts'
import { evictKek, type VaultContext } from './vault-context.ts'
import { VAULT_TABLES } from './vault-rows.ts'

/**
 * Moves a vault key version through the key-version state machine (destroy = crypto-shred),
 * then drops its unsealed material from the cache. After the commit, so a failed transaction
 * leaves the cache as it was; usableKek's status check would refuse a stale entry anyway.
 *
 * @throws AppError KEY_NOT_FOUND, INVALID_STATE
 */
export function setVersionStatus(ctx: VaultContext, ref: KeyRef, status: KeyVersionStatus): void {
  rows.setVersionStatus(ctx.db, VAULT_TABLES, ref, status, () => {
    evictKek(ctx, ref)
  })
}
