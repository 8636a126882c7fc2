import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { securityRowsOf } from './security-rows.ts'
import { requireRights, type SharingDeps } from './share-support.ts'
import { resolveTablePrivilege } from './table-privilege.ts'
import { membersOf } from './team-support.ts'
import { ACCESS_TEAM } from './team-types.ts'
import { readTeamTemplate, recordTeamOf } from './team-template-support.ts'

/** Which record's access team of which template a user joins or leaves. */
export interface RecordTeamInput {
  readonly recordId: string
  /** The record's table as the client named it; must be the template's when given. */
  readonly recordTable?: string
  readonly userId: string
  readonly templateId: string
}

/**
 * AddUserToRecordTeam (dataverse-spec §3 Teams): adds a user to the system-managed access team
 * of (record, template). The first member creates the team (teamtype 1, `regardingobjectid`,
 * `teamtemplateid`, `systemmanaged`; it owns nothing and holds no roles) and shares the record
 * with it with the template's rights; later template changes don't touch an existing team. The
 * caller needs Share and every right of the template on the record (as for GrantAccess: "you
 * can only share the rights you have"). The user needs Read and every privilege the template
 * grants on the table, at any depth, through its stored roles (group teams come from tokens and
 * are not known here). Everything runs in one transaction; the member gets the access at its
 * next request (the security version).
 *
 * @returns the access team's id
 * @throws AppError RECORD_NOT_FOUND (record not visible, template), FORBIDDEN,
 *   RECORD_ACCESS_DENIED, ACCESS_TEAM_PRIVILEGES_MISSING, VALIDATION (user, ids)
 */
export async function addUserToRecordTeam(
  deps: SharingDeps,
  caller: Caller,
  input: RecordTeamInput,
): Promise<string> {
  return deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const template = await readTeamTemplate(tx, input.templateId)
    const { table } = template
    requireTemplateTable(input, table.name)
    await requireRights(tx, caller, table, input.recordId, ['Share', ...template.rights])
    const user = await readUser(tx, input.userId)
    const { security } = await loadSecurityContext(securityRowsOf(records, deps.env), user)
    for (const right of new Set(['Read', ...template.rights] as const)) {
      if (resolveTablePrivilege(security, table, right) === undefined) {
        throw new AppError(
          'ACCESS_TEAM_PRIVILEGES_MISSING',
          "You can't add the user to the access team because the user doesn't have sufficient privileges on the entity.",
        )
      }
    }
    const actor = actorOf(caller)
    const recordId = input.recordId.toLowerCase()
    let teamId = await recordTeamOf(tx, recordId, template.id)
    if (teamId === undefined) {
      const record = await records.retrieveRecord(deps.env, table.name, recordId, {
        select: ['owningbusinessunit'],
      })
      teamId = await records.createRecord(
        deps.env,
        'team',
        {
          name: `${recordId}+${template.id}`,
          teamtype: ACCESS_TEAM,
          businessunitid: record['owningbusinessunit'],
          isdefault: false,
          systemmanaged: true,
          regardingobjectid: recordId,
          regardingobjecttypecode: table.name,
          teamtemplateid: template.id,
        },
        actor,
      )
      await records.createRecord(
        deps.env,
        'principalobjectaccess',
        {
          objectid: recordId,
          objecttypecode: table.name,
          principalid: teamId,
          principaltypecode: 'team',
          accessrightsmask: template.accessMask,
          inheritedaccessrightsmask: 0,
        },
        actor,
      )
    }
    if (!(await membersOf(tx, teamId)).has(user.systemUserId)) {
      await records.createRecord(
        deps.env,
        'teammembership',
        { teamid: teamId, systemuserid: user.systemUserId },
        actor,
      )
    }
    return teamId
  })
}

/** The user to add or remove. @throws AppError VALIDATION when no user has that id */
export async function readUser(
  deps: SharingDeps,
  userId: string,
): Promise<{ readonly systemUserId: string; readonly businessUnitId: string }> {
  try {
    const row = await deps.records.retrieveRecord(deps.env, 'systemuser', userId, {
      select: ['systemuserid', 'businessunitid'],
    })
    return {
      systemUserId: String(row['systemuserid']),
      businessUnitId: String(row['businessunitid']),
    }
  } catch (e) {
    if (e instanceof AppError && (e.code === 'RECORD_NOT_FOUND' || e.code === 'VALIDATION')) {
      throw new AppError('VALIDATION', 'No systemuser has that id.', {
        details: [{ path: 'SystemUser', message: 'expected an existing user' }],
      })
    }
    throw e
  }
}

/** @throws AppError VALIDATION when the record's table is not the template's */
export function requireTemplateTable(input: RecordTeamInput, table: string): void {
  if (input.recordTable !== undefined && input.recordTable !== table) {
    throw new AppError('VALIDATION', `The team template is for records of ${table}.`, {
      details: [{ path: 'Record', message: `expected a record of ${table}` }],
    })
  }
}
