import { loadFieldPermissions, loadSecurityContext, securityRowsOf } from '../authz/index.ts'
import { AppError } from '../shared/errors.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import type { Caller } from '../authz/index.ts'
import type { Principal } from './principal.ts'
import type { EnvironmentRecords } from './types.ts'
import { UNAUTHORIZED_MESSAGE } from './verify-access-token.ts'

/**
 * Maps a verified principal to the user it acts as in `env`: an application (client
 * credentials) to the systemuser whose `applicationid` is its client id, with that user's
 * business unit, the names of its directly assigned roles and its full security context
 * (teams and every role grant, authz loadSecurityContext; group teams from the token's
 * `groups`, docs/authz.md §16).
 *
 * An unknown or disabled user is UNAUTHORIZED with the verifier's message, not FORBIDDEN: to
 * the caller it is the same as a revoked token, and it reveals nothing about which
 * applications exist. Interactive users (kind 'user') are mapped in a later issue and are
 * refused the same way until then.
 *
 * @throws AppError UNAUTHORIZED
 */
export async function resolveCaller(
  records: EnvironmentRecords,
  env: EnvironmentId,
  principal: Principal,
): Promise<Caller> {
  const refuse = () => new AppError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE)
  if (principal.kind !== 'application') throw refuse()
  // Application users are bound to client ids of the built-in provider only: an external
  // issuer could mint a token whose client_id equals one of ours. Until users record their
  // issuer (federation, a later issue), principals of external issuers map to nobody.
  if (principal.issuerKind !== 'builtin') throw refuse()
  const clientId = principal.clientId.toLowerCase()
  const users = await records.queryRecords(
    env,
    'systemuser',
    { count: false, select: ['systemuserid', 'businessunitid', 'isdisabled'] },
    { where: (eb) => eb(eb.ref('applicationid'), '=', clientId), limit: 2 },
  )
  const user = users.records[0]
  if (user === undefined || users.records.length !== 1 || user['isdisabled'] === true) {
    throw refuse()
  }
  return loadCaller(
    records,
    env,
    String(user['systemuserid']),
    String(user['businessunitid']),
    principal.groups,
  )
}

/**
 * The Caller of a known user: its security context (teams, role grants; docs/authz.md §4) and
 * field permissions (§13), read as the system. `groups`: the Entra group ids of the caller's
 * token (group teams, §16); an impersonated user has none (its token isn't in the request).
 */
export async function loadCaller(
  records: EnvironmentRecords,
  env: EnvironmentId,
  systemUserId: string,
  businessUnitId: string,
  groups?: readonly string[],
): Promise<Caller> {
  const rows = securityRowsOf(records, env)
  const { security, roleNames } = await loadSecurityContext(rows, {
    systemUserId,
    businessUnitId,
    ...(groups === undefined ? {} : { groups }),
  })
  // Column security: the field permissions of the user's and its teams' profiles (§12).
  const teamIds = security.teams.map((t) => t.teamId)
  const fieldPermissions = await loadFieldPermissions(rows, systemUserId, teamIds)
  return {
    systemUserId,
    businessUnitId,
    roles: roleNames,
    security: { ...security, fieldPermissions },
  }
}
