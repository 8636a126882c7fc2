import { z } from 'zod'
import { addUserToRecordTeam, removeUserFromRecordTeam } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { methodNotAllowed, routeNotFound } from './odata-errors.ts'
import type { Operation } from './operation.ts'

/** The bound actions' segment names, as clients write them (bound to systemuser). */
export const RECORD_TEAM_ACTIONS = {
  'Microsoft.Dynamics.CRM.AddUserToRecordTeam': 'add',
  'Microsoft.Dynamics.CRM.RemoveUserFromRecordTeam': 'remove',
} as const

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const ODATA_TYPE = /^#?Microsoft\.Dynamics\.CRM\.([a-z][a-z0-9_]{0,63})$/
const BODY = z.strictObject({
  Record: z.record(z.string().max(128), z.unknown()),
  TeamTemplate: z.looseObject({
    '@odata.type': z.string().regex(ODATA_TYPE).optional(),
    teamtemplateid: z.string().regex(GUID),
  }),
})

const invalid = (path: string, message: string): AppError =>
  new AppError('VALIDATION', `The ${path} parameter is not valid: ${message}.`, {
    details: [{ path, message }],
  })

/**
 * POST systemusers(<id>)/Microsoft.Dynamics.CRM.AddUserToRecordTeam (or
 * RemoveUserFromRecordTeam) with `{ "Record": { "@odata.type": "Microsoft.Dynamics.CRM.account",
 * "accountid": … }, "TeamTemplate": { "teamtemplateid": … } }`: 200 `{ "AccessTeamId": … }`
 * (dataverse-spec §3 Teams, docs/authz.md §16). The record's table must be the template's.
 *
 * @throws AppError METHOD_NOT_ALLOWED, ROUTE_NOT_FOUND, VALIDATION, FORBIDDEN,
 *   RECORD_NOT_FOUND, RECORD_ACCESS_DENIED, ACCESS_TEAM_PRIVILEGES_MISSING
 */
export async function recordTeamAction(
  op: Operation,
  table: TableDef,
  userId: string,
  action: string,
): Promise<ODataResponse> {
  const kind = RECORD_TEAM_ACTIONS[action as keyof typeof RECORD_TEAM_ACTIONS]
  if (table.name !== 'systemuser') throw routeNotFound(action)
  if (op.req.method !== 'POST') throw methodNotAllowed(op.req.method, action)
  const parsed = BODY.safeParse(op.req.body)
  if (!parsed.success) {
    throw invalid('Record', 'expected { Record: { @odata.type, <table>id }, TeamTemplate }')
  }
  const type = parsed.data.Record['@odata.type']
  const recordTable = typeof type === 'string' ? ODATA_TYPE.exec(type)?.[1] : undefined
  if (recordTable === undefined) {
    throw invalid('Record', 'expected @odata.type Microsoft.Dynamics.CRM.<table>')
  }
  const recordId = parsed.data.Record[`${recordTable}id`]
  if (typeof recordId !== 'string' || !GUID.test(recordId)) {
    throw invalid('Record', `expected ${recordTable}id`)
  }
  const run = kind === 'add' ? addUserToRecordTeam : removeUserFromRecordTeam
  const teamId = await run({ records: op.records, env: op.env }, op.api.caller, {
    recordId,
    recordTable,
    userId,
    templateId: parsed.data.TeamTemplate.teamtemplateid,
  })
  const name = kind === 'add' ? 'AddUserToRecordTeamResponse' : 'RemoveUserFromRecordTeamResponse'
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#Microsoft.Dynamics.CRM.${name}`,
      AccessTeamId: teamId,
    },
  }
}
