import { z } from 'zod'
import { assignRole, unassignRole, type RolePrincipal } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { methodNotAllowed, routeNotFound } from './odata-errors.ts'
import { entitySet, type Operation } from './operation.ts'

/** The collection-valued navigations of role assignment, by the table they are bound to. */
export const ROLE_ASSOCIATIONS: Readonly<Record<string, RolePrincipal['kind']>> = {
  systemuserroles_association: 'systemuser',
  teamroles_association: 'team',
}

const REF_BODY = z.strictObject({ '@odata.id': z.string().min(1).max(2048) })
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

const invalidRef = (): AppError =>
  new AppError('VALIDATION', 'The reference must be {"@odata.id": "<url>/roles(<id>)"}.', {
    details: [{ path: '@odata.id', message: 'expected roles(<id>)' }],
  })

/** The role id of `roles(<id>)` (relative or absolute URL). */
async function roleIdOf(op: Operation, url: string): Promise<string> {
  const match = /(?:^|\/)([A-Za-z_][A-Za-z0-9_]{0,127})\(([^()]{1,64})\)$/.exec(url)
  if (match?.[1] === undefined || match[2] === undefined || !GUID.test(match[2])) {
    throw invalidRef()
  }
  const table = await entitySet(op, match[1])
  if (table.name !== 'role') throw invalidRef()
  return match[2].toLowerCase()
}

/**
 * Role assignment as Dataverse does it (dataverse-spec §3):
 * `POST systemusers(<id>)/systemuserroles_association/$ref` with `{"@odata.id": ".../roles(<id>)"}`,
 * `DELETE systemusers(<id>)/systemuserroles_association(<roleid>)/$ref` (or `…/$ref?$id=<url>`),
 * and the same for `teams(<id>)/teamroles_association`. 204; the change applies on the next
 * request. Authorization is the domain function's (prvAssignRole; Support User and the last
 * System Administrator are refused).
 *
 * @throws AppError ROUTE_NOT_FOUND, METHOD_NOT_ALLOWED, VALIDATION, FORBIDDEN, IN_USE
 */
export async function roleAssociation(
  op: Operation,
  table: TableDef,
  id: string,
  navigation: string,
  roleKey: string | undefined,
): Promise<ODataResponse> {
  const kind = ROLE_ASSOCIATIONS[navigation]
  if (kind === undefined || kind !== table.name) throw routeNotFound(navigation)
  const deps = { records: op.records, env: op.env }
  const principal = { kind, id }
  if (op.req.method === 'POST') {
    if (roleKey !== undefined) throw routeNotFound(navigation)
    const parsed = REF_BODY.safeParse(op.req.body)
    if (!parsed.success) throw invalidRef()
    await assignRole(deps, op.api.caller, principal, await roleIdOf(op, parsed.data['@odata.id']))
    return { status: 204, headers: {} }
  }
  if (op.req.method === 'DELETE') {
    const ref = op.req.query['$id']
    let roleId: string
    if (roleKey !== undefined && ref === undefined) {
      const key = roleKey.replace(/^roleid=/, '')
      if (!GUID.test(key)) throw invalidRef()
      roleId = key.toLowerCase()
    } else if (roleKey === undefined && ref !== undefined) {
      roleId = await roleIdOf(op, ref)
    } else {
      throw invalidRef()
    }
    await unassignRole(deps, op.api.caller, principal, roleId)
    return { status: 204, headers: {} }
  }
  throw methodNotAllowed(op.req.method, `${navigation}/$ref`)
}
