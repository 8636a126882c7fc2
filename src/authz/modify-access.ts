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
    } else if (existing.accessMask !== access.accessMask) {
      await records.updateRecord(
        deps.env,
        'principalobjectaccess',
        existing.id,
        { accessrightsmask: access.accessMask },
        actor,
      )
    }
  })
}
