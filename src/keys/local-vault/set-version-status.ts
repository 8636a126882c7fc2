import { z } from 'zod'
import { KEY_VERSION_STATUSES } from '../key-provider.ts'
import type { KeyRef, KeyVersionStatus } from '../key-provider.ts'
import { eventForStatus, transitionKeyVersion } from '../key-version-state.ts'
import { evictKek } from './vault-context.ts'
import type { VaultContext } from './vault-context.ts'
import { guarded, vaultCorrupt } from './vault-errors.ts'
import { keyNotFound } from './vault-rows.ts'

const StatusRow = z.strictObject({ status: z.enum(KEY_VERSION_STATUSES) })

/**
 * Moves a key version to `status` through the key-version state machine. Destroying sets the
 * status and erases the sealed material in the same transaction (crypto-shred), then truncates
 * the WAL so the old page images go too where no reader holds them.
 *
 * @throws AppError KEY_NOT_FOUND, INVALID_STATE
 */
export function setVersionStatus(ctx: VaultContext, ref: KeyRef, status: KeyVersionStatus): void {
  const event = eventForStatus(status)
  guarded(() => {
    ctx.db
      .transaction(() => {
        const row = ctx.db
          .prepare('SELECT status FROM key_versions WHERE key_id = ? AND version = ?')
          .get(ref.keyId, ref.version)
        if (row === undefined) throw keyNotFound()
        const parsed = StatusRow.safeParse(row)
        if (!parsed.success) throw vaultCorrupt(parsed.error)
        const next = transitionKeyVersion(parsed.data.status, event)
        ctx.db
          .prepare(
            `UPDATE key_versions SET status = ?, material = CASE WHEN ? = 'destroyed' THEN NULL ELSE material END
             WHERE key_id = ? AND version = ?`,
          )
          .run(next, next, ref.keyId, ref.version)
      })
      .immediate()
  })
  // After the commit, so a failed transaction leaves the cache as it was; the status check in
  // usableKek would refuse a stale entry anyway.
  evictKek(ctx, ref)
  if (status === 'destroyed') {
    // Best effort: copies the pages into the database file (where secure_delete has zeroed the
    // old cell) and truncates the WAL. A concurrent reader can keep old frames until the next
    // checkpoint; they are still under the vault cipher and the material seal.
    guarded(() => ctx.db.pragma('wal_checkpoint(TRUNCATE)'))
  }
}
