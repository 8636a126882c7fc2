import type { Caller } from './caller.ts'
import type { PrincipalAccess, SharingDeps } from './share-support.ts'
import { writeShare } from './write-share.ts'

/**
 * GrantAccess (dataverse-spec §3 Sharing): shares a record with a user, team or the
 * organization, adding `accessMask` to what that principal already has on it. The caller needs
 * Share on the record and every right it grants ("you can only share the rights you have");
 * check and write run in one transaction.
 *
 * @throws AppError RECORD_NOT_FOUND (the record isn't visible), FORBIDDEN (no privilege),
 *   RECORD_ACCESS_DENIED (a right not held on the record), VALIDATION (table, mask, principal)
 */
export async function grantAccess(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
  access: PrincipalAccess,
): Promise<void> {
  await writeShare(deps, caller, tableName, recordId, access, (existing, given) => existing | given)
}
