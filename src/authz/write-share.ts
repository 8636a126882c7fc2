import { actorOf, type Caller } from './caller.ts'
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
 * What GrantAccess and ModifyAccess share: in one transaction, the caller must hold Share on the
 * record and every right in `access` ("you can only share the rights you have"); the
 * principal's share is created with `access.accessMask`, or its mask becomes
 * `combine(existing, given)` (unchanged masks are not rewritten).
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, RECORD_ACCESS_DENIED, VALIDATION
 */
export async function writeShare(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
  access: PrincipalAccess,
  combine: (existing: number, given: number) => number,
): Promise<void> {
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const table = await shareableTable(tx, tableName)
    const rights = rightsOfMask(access.accessMask)
    await requireRights(tx, caller, table, recordId, ['Share', ...rights])
    await requirePrincipal(tx, access)
    const [existing] = await sharesOf(tx, table, recordId, access.principalId)
    const actor = actorOf(caller)
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
    } else {
      const mask = combine(existing.accessMask, access.accessMask)
      if (mask !== existing.accessMask) {
        await records.updateRecord(
          deps.env,
          'principalobjectaccess',
          existing.id,
          { accessrightsmask: mask },
          actor,
        )
      }
    }
  })
}
