import { retrievePrincipalAccess, retrieveTeamPrincipalAccess } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { routeNotFound } from './odata-errors.ts'
import type { Operation } from './operation.ts'
import { accessMaskNames, targetRecord } from './sharing-actions.ts'

/** The bound function's segment name, as clients write it. */
export const RETRIEVE_PRINCIPAL_ACCESS = 'Microsoft.Dynamics.CRM.RetrievePrincipalAccess'

/**
 * GET systemusers(<id>)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)
 * ?@tid={'@odata.id':'accounts(<id>)'} (dataverse-spec §3 Sharing): the rights the user holds
 * on the record through every path, `{ AccessRights: "ReadAccess, WriteAccess, …" }`. The caller
 * must be able to read the record. Bound to teams too (`teams(<id>)/…`): the team's own roles,
 * ownership and shares.
 *
 * @throws AppError ROUTE_NOT_FOUND (other entity sets), VALIDATION, and the domain function's
 */
export async function retrievePrincipalAccessFunction(
  op: Operation,
  bound: TableDef,
  principalId: string,
  key: string | undefined,
): Promise<ODataResponse> {
  if (bound.name !== 'systemuser' && bound.name !== 'team') {
    throw routeNotFound(RETRIEVE_PRINCIPAL_ACCESS)
  }
  const { table, id } = await targetRecord(op, key)
  const retrieve = bound.name === 'team' ? retrieveTeamPrincipalAccess : retrievePrincipalAccess
  const mask = await retrieve(
    { records: op.records, env: op.env },
    op.api.caller,
    table.name,
    id,
    principalId,
  )
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#Microsoft.Dynamics.CRM.RetrievePrincipalAccessResponse`,
      AccessRights: accessMaskNames(mask),
    },
  }
}
