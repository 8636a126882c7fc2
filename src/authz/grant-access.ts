import type { Caller } from './caller.ts'
import {
  requirePrincipal,
  requireRights,
  rightsOfMask,
  shareableTable,
  sharesOf,
  type PrincipalAccess,
  type SharingDeps,
} from './share-support.ts'

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
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const table = await shareableTable(tx, tableName)
    const rights = rightsOfMask(access.accessMask)
    await requireRights(tx, caller, table, recordId, ['Share', ...rights])
    await requirePrincipal(tx, access)
    const [existing] = await sharesOf(tx, table, recordId, access.principalId)
    const actor = { actorId: caller.systemUserId }
    if (existing === undefined) {
      await records.createRecord(
        deps.env,
        'principalobjectaccess',
        {
          objectid: recordId.toLowerCase(),
          objecttypecode: table.name,
          principalid: access.principalId.toLowerCase(),
          principaltypecode: access.principalType,
          accessrightsmask: access.accessMask,
          inheritedaccessrightsmask: 0,
        },
        actor,
      )
    } else if ((existing.accessMask | access.accessMask) !== existing.accessMask) {
      await records.updateRecord(
        deps.env,
        'principalobjectaccess',
        existing.id,
        { accessrightsmask: existing.accessMask | access.accessMask },
        actor,
      )
    }
  })
}
