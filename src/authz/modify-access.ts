import type { Caller } from './caller.ts'
import type { PrincipalAccess, SharingDeps } from './share-support.ts'
import { writeShare } from './write-share.ts'

/**
 * ModifyAccess (dataverse-spec §3 Sharing): replaces what a principal is granted on a record by
 * `accessMask` (creating the share when there is none). The caller needs Share on the record
 * and every right in the new mask.
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, RECORD_ACCESS_DENIED, VALIDATION
 */
export async function modifyAccess(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
  access: PrincipalAccess,
): Promise<void> {
  await writeShare(deps, caller, tableName, recordId, access, (_existing, given) => given)
}
