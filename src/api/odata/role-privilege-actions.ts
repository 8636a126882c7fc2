import { z } from 'zod'
import {
  addPrivilegesRole,
  removePrivilegeRole,
  replacePrivilegesRole,
  retrieveRolePrivileges,
} from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { methodNotAllowed, routeNotFound } from './odata-errors.ts'
import type { Operation } from './operation.ts'

/** The bound operations on roles, as clients write them. */
export const ROLE_OPERATIONS = {
  'Microsoft.Dynamics.CRM.AddPrivilegesRole': 'add',
  'Microsoft.Dynamics.CRM.ReplacePrivilegesRole': 'replace',
  'Microsoft.Dynamics.CRM.RemovePrivilegeRole': 'remove',
  'Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRole': 'retrieve',
} as const

/** Dataverse's PrivilegeDepth enum (Basic 0 … Global 3) ↔ PrivilegeDepthMask (1, 2, 4, 8). */
const DEPTH_NAMES = ['Basic', 'Local', 'Deep', 'Global'] as const
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

const DEPTH = z.union([z.enum(DEPTH_NAMES), z.number().int().min(0).max(3)])
const PRIVILEGE = z.looseObject({
  PrivilegeId: z.string().regex(GUID),
  Depth: DEPTH,
  BusinessUnitId: z.string().regex(GUID).optional(),
})
const ADD = z.strictObject({ Privileges: z.array(PRIVILEGE).min(1).max(1000) })
// ReplacePrivilegesRole may empty the role.
const REPLACE = z.strictObject({ Privileges: z.array(PRIVILEGE).max(1000) })
const REMOVE = z.strictObject({ PrivilegeId: z.string().regex(GUID) })

const maskOf = (depth: z.infer<typeof DEPTH>): number =>
  2 ** (typeof depth === 'number' ? depth : DEPTH_NAMES.indexOf(depth))

const invalid = (path: string, message: string): AppError =>
  new AppError('VALIDATION', `The ${path} parameter is not valid: ${message}.`, {
    details: [{ path, message }],
  })

/**
 * `POST roles(<id>)/Microsoft.Dynamics.CRM.AddPrivilegesRole` (or `ReplacePrivilegesRole`) with `{ "Privileges": [{
 * "PrivilegeId", "Depth": "Basic"|"Local"|"Deep"|"Global", "BusinessUnitId" }] }` (204),
 * `POST …/RemovePrivilegeRole` with `{ "PrivilegeId" }` (204), `GET
 * …/RetrieveRolePrivilegesRole()` → `{ "RolePrivileges": [{ "Depth", "PrivilegeId",
 * "BusinessUnitId", "PrivilegeName" }] }` (dataverse-spec §3). Effective on the next request.
 */
export async function roleOperation(
  op: Operation,
  table: TableDef,
  id: string,
  name: string,
): Promise<ODataResponse> {
  const kind = ROLE_OPERATIONS[name as keyof typeof ROLE_OPERATIONS]
  if (table.name !== 'role') throw routeNotFound(name)
  const deps = { records: op.records, env: op.env }
  const caller = op.api.caller
  if (kind === 'retrieve') {
    if (op.req.method !== 'GET') throw methodNotAllowed(op.req.method, name)
    const privileges = await retrieveRolePrivileges(deps, caller, id)
    const role = await op.records.retrieveRecord(op.env, 'role', id, {
      select: ['businessunitid'],
    })
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${op.api.webApiUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRoleResponse`,
        RolePrivileges: privileges.map((p) => ({
          Depth: DEPTH_NAMES[Math.log2(p.depth)],
          PrivilegeId: p.privilegeId,
          BusinessUnitId: role['businessunitid'],
          PrivilegeName: p.privilegeName,
        })),
      },
    }
  }
  if (op.req.method !== 'POST') throw methodNotAllowed(op.req.method, name)
  if (kind === 'add' || kind === 'replace') {
    const parsed = (kind === 'add' ? ADD : REPLACE).safeParse(op.req.body)
    if (!parsed.success) {
      throw invalid('Privileges', 'expected [{ "PrivilegeId": "<guid>", "Depth": "Basic" }, …]')
    }
    await (kind === 'add' ? addPrivilegesRole : replacePrivilegesRole)(
      deps,
      caller,
      id,
      parsed.data.Privileges.map((p) => ({ privilege: p.PrivilegeId, depth: maskOf(p.Depth) })),
    )
    return { status: 204, headers: {} }
  }
  const parsed = REMOVE.safeParse(op.req.body)
  if (!parsed.success) throw invalid('PrivilegeId', 'expected a privilege id')
  await removePrivilegeRole(deps, caller, id, parsed.data.PrivilegeId)
  return { status: 204, headers: {} }
}
