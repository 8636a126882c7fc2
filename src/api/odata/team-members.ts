import { z } from 'zod'
import { addTeamMembers, removeTeamMembers } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { methodNotAllowed, routeNotFound } from './odata-errors.ts'
import type { Operation } from './operation.ts'

/** The bound actions' segment names, as clients write them. */
export const TEAM_ACTIONS = {
  'Microsoft.Dynamics.CRM.AddMembersTeam': 'add',
  'Microsoft.Dynamics.CRM.RemoveMembersTeam': 'remove',
} as const

/** The collection-valued navigation of team membership. */
export const TEAM_MEMBERSHIP = 'teammembership_association'

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const MEMBERS = z.strictObject({
  Members: z
    .array(
      z.looseObject({
        '@odata.type': z.literal('Microsoft.Dynamics.CRM.systemuser').optional(),
        systemuserid: z.string().regex(GUID),
      }),
    )
    .min(1)
    .max(1000),
})
const REF_BODY = z.strictObject({ '@odata.id': z.string().min(1).max(2048) })

const invalid = (path: string, message: string): AppError =>
  new AppError('VALIDATION', `The ${path} parameter is not valid: ${message}.`, {
    details: [{ path, message }],
  })

/**
 * POST teams(<id>)/Microsoft.Dynamics.CRM.AddMembersTeam (or RemoveMembersTeam) with
 * `{ "Members": [{ "@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": … }] }`:
 * 204 (dataverse-spec §3 Teams). Effective on the members' next request.
 *
 * @throws AppError METHOD_NOT_ALLOWED, ROUTE_NOT_FOUND, VALIDATION, FORBIDDEN
 */
export async function teamMembersAction(
  op: Operation,
  table: TableDef,
  id: string,
  action: string,
): Promise<ODataResponse> {
  const kind = TEAM_ACTIONS[action as keyof typeof TEAM_ACTIONS]
  if (table.name !== 'team') throw routeNotFound(action)
  if (op.req.method !== 'POST') throw methodNotAllowed(op.req.method, action)
  const parsed = MEMBERS.safeParse(op.req.body)
  if (!parsed.success) throw invalid('Members', 'expected [{ "systemuserid": "<guid>" }, …]')
  const users = parsed.data.Members.map((m) => m.systemuserid)
  const run = kind === 'add' ? addTeamMembers : removeTeamMembers
  await run({ records: op.records, env: op.env }, op.api.caller, id, users)
  return { status: 204, headers: {} }
}

/**
 * `POST teams(<id>)/teammembership_association/$ref` with `{"@odata.id": ".../systemusers(<id>)"}`
 * adds a member; `DELETE teams(<id>)/teammembership_association(<userid>)/$ref` (or
 * `…/$ref?$id=<url>`) removes one. 204.
 */
export async function teamMembershipRef(
  op: Operation,
  table: TableDef,
  id: string,
  userKey: string | undefined,
): Promise<ODataResponse> {
  if (table.name !== 'team') throw routeNotFound(TEAM_MEMBERSHIP)
  const deps = { records: op.records, env: op.env }
  if (op.req.method === 'POST' && userKey === undefined) {
    const parsed = REF_BODY.safeParse(op.req.body)
    const user = parsed.success ? userIdOf(parsed.data['@odata.id']) : undefined
    if (user === undefined) throw invalid('@odata.id', 'expected systemusers(<id>)')
    await addTeamMembers(deps, op.api.caller, id, [user])
    return { status: 204, headers: {} }
  }
  if (op.req.method === 'DELETE') {
    const ref = op.req.query['$id']
    const user =
      userKey !== undefined && ref === undefined
        ? GUID.test(userKey.replace(/^systemuserid=/, ''))
          ? userKey.replace(/^systemuserid=/, '')
          : undefined
        : userKey === undefined && ref !== undefined
          ? userIdOf(ref)
          : undefined
    if (user === undefined) throw invalid('@odata.id', 'expected systemusers(<id>)')
    await removeTeamMembers(deps, op.api.caller, id, [user])
    return { status: 204, headers: {} }
  }
  throw methodNotAllowed(op.req.method, `${TEAM_MEMBERSHIP}/$ref`)
}

function userIdOf(url: string): string | undefined {
  const match = /(?:^|\/)systemusers\(([^()]{1,64})\)$/.exec(url)
  const id = match?.[1]
  return id !== undefined && GUID.test(id) ? id : undefined
}
