import { retrieveUserPrivileges } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { methodNotAllowed, routeNotFound } from './odata-errors.ts'
import type { Operation } from './operation.ts'

/** The bound function's segment name, as clients write it. */
export const RETRIEVE_USER_PRIVILEGES = 'Microsoft.Dynamics.CRM.RetrieveUserPrivileges'

const DEPTH_NAMES: Readonly<Record<number, string>> = {
  1: 'Basic',
  2: 'Local',
  4: 'Deep',
  8: 'Global',
}

/**
 * GET systemusers(<id>)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges() (dataverse-spec §3):
 * `{ "RolePrivileges": [{ "Depth", "PrivilegeId", "BusinessUnitId", "PrivilegeName" }] }`, the
 * user's privileges through all its roles (direct and through teams) at the widest depth.
 * `BusinessUnitId` is the user's business unit.
 */
export async function retrieveUserPrivilegesFunction(
  op: Operation,
  table: TableDef,
  id: string,
): Promise<ODataResponse> {
  if (table.name !== 'systemuser') throw routeNotFound(RETRIEVE_USER_PRIVILEGES)
  if (op.req.method !== 'GET') throw methodNotAllowed(op.req.method, RETRIEVE_USER_PRIVILEGES)
  const privileges = await retrieveUserPrivileges(
    { records: op.records, env: op.env },
    op.api.caller,
    id,
  )
  const user = await op.records.retrieveRecord(op.env, 'systemuser', id, {
    select: ['businessunitid'],
  })
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse`,
      RolePrivileges: privileges.map((p) => ({
        Depth: DEPTH_NAMES[p.depth],
        PrivilegeId: p.privilegeId,
        BusinessUnitId: user['businessunitid'],
        PrivilegeName: p.privilegeName,
      })),
    },
  }
}
