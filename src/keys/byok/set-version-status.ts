import { z } from 'zod'
import { KEY_VERSION_STATUSES } from '../key-provider.ts'
import type { KeyRef, KeyVersionStatus } from '../key-provider.ts'
import { eventForStatus, transitionKeyVersion } from '../key-version-state.ts'
import { guarded, vaultCorrupt } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'
import { keyNotFound } from './byok-rows.ts'

const StatusRow = z.strictObject({ status: z.enum(KEY_VERSION_STATUSES) })

/**
 * Moves an uploaded key version through the key-version state machine. Destroying erases the
 * sealed private key in the same transaction (crypto-shred; secure_delete zeroes the freed
 * cell), then truncates the WAL. The certificate (public) stays for the record.
 *
 * @throws AppError KEY_NOT_FOUND, INVALID_STATE
 */
export function setVersionStatus(ctx: ByokContext, ref: KeyRef, status: KeyVersionStatus): void {
  const event = eventForStatus(status)
  guarded(() => {
    ctx.db
      .transaction(() => {
        const row = ctx.db
          .prepare('SELECT status FROM byok_versions WHERE key_id = ? AND version = ?')
          .get(ref.keyId, ref.version)
        if (row === undefined) throw keyNotFound()
        const parsed = StatusRow.safeParse(row)
        if (!parsed.success) throw vaultCorrupt(parsed.error)
        const next = transitionKeyVersion(parsed.data.status, event)
        ctx.db
          .prepare(
            `UPDATE byok_versions SET status = ?, material = CASE WHEN ? = 'destroyed' THEN NULL ELSE material END
             WHERE key_id = ? AND version = ?`,
          )
          .run(next, next, ref.keyId, ref.version)
      })
      .immediate()
  })
  if (status === 'destroyed') guarded(() => ctx.db.pragma('wal_checkpoint(TRUNCATE)'))
}
