import { AppError } from '../shared/errors.ts'
import { readUser, requireTemplateTable, type RecordTeamInput } from './add-user-to-record-team.ts'
import { actorOf, type Caller } from './caller.ts'
import { requireRights, type SharingDeps } from './share-support.ts'
import { membersOf } from './team-support.ts'
import { readTeamTemplate, recordTeamOf } from './team-template-support.ts'

/**
 * RemoveUserFromRecordTeam (dataverse-spec §3 Teams): removes a user from the access team of
 * (record, template). The caller needs Share on the record. The team and its share stay (as in
 * Dataverse) even when its last member leaves; the user loses the access at its next request.
 * Removing a user who is not a member changes nothing.
 *
 * @returns the access team's id
 * @throws AppError RECORD_NOT_FOUND (record not visible, template, no access team yet),
 *   FORBIDDEN, RECORD_ACCESS_DENIED, VALIDATION (user, ids)
 */
export async function removeUserFromRecordTeam(
  deps: SharingDeps,
  caller: Caller,
  input: RecordTeamInput,
): Promise<string> {
  return deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const template = await readTeamTemplate(tx, input.templateId)
    requireTemplateTable(input, template.table.name)
    await requireRights(tx, caller, template.table, input.recordId, ['Share'])
    const user = await readUser(tx, input.userId)
    const teamId = await recordTeamOf(tx, input.recordId, template.id)
    if (teamId === undefined) {
      throw new AppError('RECORD_NOT_FOUND', 'The record has no access team of that template.')
    }
    const membership = (await membersOf(tx, teamId)).get(user.systemUserId)
    if (membership !== undefined) {
      await records.deleteRecord(deps.env, 'teammembership', membership, actorOf(caller))
    }
    return teamId
  })
}
