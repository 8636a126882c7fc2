import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import { rightsOfMask, shareableTable, type SharingDeps } from './share-support.ts'
import { MAX_TABLES_WITH_TEMPLATES, MAX_TEMPLATES_PER_TABLE } from './team-types.ts'
import { requireTemplatePrivilege, requireTemplateName } from './team-template-support.ts'

/**
 * Creates an access team template (dataverse-spec §3 Teams): a user-owned table and the rights
 * (`AccessRights` mask) the record's access team gets when its first member is added. Needs
 * prvCreateteamtemplate. Dataverse's limits apply: at most MaxAutoCreatedAccessTeamsPerEntity
 * (2) templates per table, on at most MaxEntitiesEnabledForAutoCreatedAccessTeams (100)
 * tables. Checks and write run in one transaction.
 *
 * @returns the template's id
 * @throws AppError FORBIDDEN, VALIDATION (name, table, mask), TEAM_TEMPLATE_LIMIT
 */
export async function createTeamTemplate(
  deps: SharingDeps,
  caller: Caller,
  input: {
    readonly name: string
    readonly table: string
    readonly accessMask: number
    readonly description?: string
  },
): Promise<string> {
  await requireTemplatePrivilege(deps, caller, 'Create')
  requireTemplateName(input.name)
  rightsOfMask(input.accessMask)
  return deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const table = await shareableTable(tx, input.table)
    const existing = await records.queryRecords(
      deps.env,
      'teamtemplate',
      { count: false, select: ['objecttypecode'] },
      { limit: SECURITY_ROWS_LIMIT },
    )
    const tables = existing.records.map((r) => String(r['objecttypecode']))
    if (tables.filter((t) => t === table.name).length >= MAX_TEMPLATES_PER_TABLE) {
      throw new AppError(
        'TEAM_TEMPLATE_LIMIT',
        `The table ${table.name} already has ${MAX_TEMPLATES_PER_TABLE} team templates (MaxAutoCreatedAccessTeamsPerEntity).`,
      )
    }
    const distinct = new Set(tables)
    if (!distinct.has(table.name) && distinct.size >= MAX_TABLES_WITH_TEMPLATES) {
      throw new AppError(
        'TEAM_TEMPLATE_LIMIT',
        `Team templates exist for ${MAX_TABLES_WITH_TEMPLATES} tables already (MaxEntitiesEnabledForAutoCreatedAccessTeams).`,
      )
    }
    return records.createRecord(
      deps.env,
      'teamtemplate',
      {
        teamtemplatename: input.name,
        objecttypecode: table.name,
        defaultaccessrightsmask: input.accessMask,
        ...(input.description === undefined ? {} : { description: input.description }),
      },
      actorOf(caller),
    )
  })
}
