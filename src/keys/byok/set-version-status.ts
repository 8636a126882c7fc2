import type { KeyRef, KeyVersionStatus } from '../key-provider.ts'
import * as rows from '../key-store/key-rows.ts'
import type { ByokContext } from './byok-context.ts'
import { BYOK_TABLES } from './byok-rows.ts'

/**
 * Moves an uploaded key version through the key-version state machine. Destroying erases the
 * sealed private key (crypto-shred); the certificate (public) stays for the record.
 *
 * @throws AppError KEY_NOT_FOUND, INVALID_STATE
 */
export function setVersionStatus(ctx: ByokContext, ref: KeyRef, status: KeyVersionStatus): void {
  rows.setVersionStatus(ctx.db, BYOK_TABLES, ref, status)
}
