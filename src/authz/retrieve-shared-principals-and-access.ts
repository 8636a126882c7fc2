import type { Caller } from './caller.ts'
import {
  requireRights,
  shareableTable,
  sharesOf,
  type PrincipalAccess,
  type PrincipalType,
  type SharingDeps,
} from './share-support.ts'

/**
 * RetrieveSharedPrincipalsAndAccess (dataverse-spec §3 Sharing): every principal a record is
 * shared with, and the rights (direct | inherited). The caller must be able to read the record.
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, VALIDATION
 */
export async function retrieveSharedPrincipalsAndAccess(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
): Promise<PrincipalAccess[]> {
  const table = await shareableTable(deps, tableName)
  await requireRights(deps, caller, table, recordId, [])
  return (await sharesOf(deps, table, recordId))
    .map((s) => ({
      principalId: s.principalId,
      principalType: s.principalType as PrincipalType,
      accessMask: s.accessMask | s.inheritedAccessMask,
    }))
    .filter((s) => s.accessMask !== 0)
    .sort((a, b) => a.principalId.localeCompare(b.principalId))
}
