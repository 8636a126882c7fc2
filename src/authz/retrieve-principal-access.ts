import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { loadTeamSecurityContext } from './load-team-security-context.ts'
import { securityRowsOf } from './security-rows.ts'
import {
  accessMaskOf,
  requireRights,
  shareableTable,
  sharesOf,
  type SharingDeps,
} from './share-support.ts'

/**
 * RetrievePrincipalAccess (dataverse-spec §3 Sharing): the AccessRights mask a user holds on a
 * record through every path (roles at their depth, ownership, shares). The caller must be able
 * to read the record. For a team, see retrieveTeamPrincipalAccess.
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

/**
 * RetrievePrincipalAccess for a team principal: the mask the team holds on a record through its
 * own roles (anchored at the team) and its ownership (loadTeamSecurityContext), united with
 * what is shared with it (direct or inherited) whatever its roles: the members exercise a
 * team's share with their own privileges.
 * The caller must be able to read the record.
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, VALIDATION (record id, unknown team)
 */
export async function retrieveTeamPrincipalAccess(
  deps: SharingDeps,
  caller: Caller,
  tableName: string,
  recordId: string,
  teamId: string,
): Promise<number> {
  const table = await shareableTable(deps, tableName)
  await requireRights(deps, caller, table, recordId, [])
  const security = /^[0-9a-f-]{36}$/i.test(teamId)
    ? await loadTeamSecurityContext(securityRowsOf(deps.records, deps.env), teamId.toLowerCase())
    : undefined
  if (security === undefined) {
    throw new AppError('VALIDATION', 'No team has that id.', {
      details: [{ path: 'Principal', message: 'expected an existing team' }],
    })
  }
  const principal = { systemUserId: security.userId, businessUnitId: security.businessUnitId }
  const byRoles = await accessMaskOf(deps, { ...principal, roles: [], security }, table, recordId)
  // What is shared with the team counts as such: its members use it with their own privileges
  // (an access team holds no role at all).
  let shared = 0
  for (const s of await sharesOf(deps, table, recordId, security.userId)) {
    shared |= s.accessMask | s.inheritedAccessMask
  }
  return byRoles | shared
}
