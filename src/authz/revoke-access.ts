import { actorOf, type Caller } from './caller.ts'
import { requireRights, shareableTable, sharesOf, type SharingDeps } from './share-support.ts'

/**
 * RevokeAccess (dataverse-spec §3 Sharing): removes a principal's direct share of a record.
 * Inherited (cascaded) access stays: a row that still carries an inherited mask keeps it with
 * the direct mask cleared. Revoking a share that doesn't exist succeeds. The caller needs Share
 * on the record.
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, RECORD_ACCESS_DENIED, VALIDATION
 */
export async function revokeAccess(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
  principalId: string,
): Promise<void> {
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const table = await shareableTable(tx, tableName)
    await requireRights(tx, caller, table, recordId, ['Share'])
    const actor = actorOf(caller)
    for (const share of await sharesOf(tx, table, recordId, principalId)) {
      if (share.inheritedAccessMask === 0) {
        await records.deleteRecord(deps.env, 'principalobjectaccess', share.id, actor)
      } else if (share.accessMask !== 0) {
        await records.updateRecord(
          deps.env,
          'principalobjectaccess',
          share.id,
          { accessrightsmask: 0 },
          actor,
        )
      }
    }
  })
}
