import { actorOf, type Caller } from './caller.ts'
import type { SharingDeps } from './share-support.ts'
import {
  deleteTeamCompletely,
  requireTemplatePrivilege,
  teamsOfTemplate,
} from './team-template-support.ts'

/**
 * Deletes a team template and, as Dataverse does, every access team created from it, with
 * those teams' shares and memberships, in one transaction: their members lose the access at
 * their next request. Needs prvDeleteteamtemplate.
 *
 * @returns how many access teams were deleted
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND (template), VALIDATION (id)
 */
export async function deleteTeamTemplate(
  deps: SharingDeps,
  caller: Caller,
  templateId: string,
): Promise<number> {
  await requireTemplatePrivilege(deps, caller, 'Delete')
  return deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const template = await records.retrieveRecord(deps.env, 'teamtemplate', templateId, {
      select: ['teamtemplateid'],
    })
    const id = String(template['teamtemplateid'])
    const teams = await teamsOfTemplate(tx, id)
    for (const team of teams) await deleteTeamCompletely(tx, caller, team)
    await records.deleteRecord(deps.env, 'teamtemplate', id, actorOf(caller))
    return teams.length
  })
}
