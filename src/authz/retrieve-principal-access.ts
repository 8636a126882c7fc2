import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { securityRowsOf } from './security-rows.ts'
import { accessMaskOf, requireRights, shareableTable, type SharingDeps } from './share-support.ts'

/**
 * RetrievePrincipalAccess (dataverse-spec §3 Sharing): the AccessRights mask a user holds on a
 * record through every path (roles at their depth, ownership, shares). The caller must be able
 * to read the record. Team principals are a later step of issue #5.
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, VALIDATION (record id, unknown user)
 */
export async function retrievePrincipalAccess(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
  systemUserId: string,
): Promise<number> {
  const table = await shareableTable(deps, tableName)
  await requireRights(deps, caller, table, recordId, [])
  let user
  try {
    user = await deps.records.retrieveRecord(deps.env, 'systemuser', systemUserId, {
      select: ['businessunitid'],
    })
  } catch (e) {
    if (e instanceof AppError && (e.code === 'RECORD_NOT_FOUND' || e.code === 'VALIDATION')) {
      throw new AppError('VALIDATION', 'No systemuser has that id.', {
        details: [{ path: 'Principal', message: 'expected an existing user' }],
      })
    }
    throw e
  }
  const rows = securityRowsOf(deps.records, deps.env)
  const principal = {
    systemUserId: String(user['systemuserid']),
    businessUnitId: String(user['businessunitid']),
  }
  const { security, roleNames } = await loadSecurityContext(rows, principal)
  return accessMaskOf(deps, { ...principal, roles: roleNames, security }, table, recordId)
}
