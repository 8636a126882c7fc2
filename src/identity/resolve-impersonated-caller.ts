import { predefinedRoleByTemplate, requireTaskPrivilege, type Caller } from '../authz/index.ts'
import { AppError } from '../shared/errors.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import type { ImpersonationTarget } from './impersonation-target.ts'
import { loadCaller } from './resolve-caller.ts'
import type { EnvironmentRecords } from './types.ts'

const HEADER: Readonly<Record<ImpersonationTarget['by'], string>> = {
  azureactivedirectoryobjectid: 'CallerObjectId',
  systemuserid: 'MSCRMCallerID',
}

/**
 * The Caller a request acts as when `real` impersonates `target` (dataverse-spec §3
 * Impersonation, docs/authz.md §8): the target user with `impersonator: real`, so every
 * decision made for it is the intersection of both users' rights.
 *
 * Order of checks, so that nothing is revealed to whoever may not ask: first the real caller
 * must hold prvActOnBehalfOfAnotherUser (403 naming it, before any user is looked up); then
 * the target must be exactly one enabled user of this environment (looked up only here, so a
 * user of another environment is simply unknown) and not a service identity — the SYSTEM user
 * or a holder of a service-only role (Support User) — else one IMPERSONATION_TARGET_INVALID
 * for every reason. Impersonating oneself is acting as oneself.
 *
 * @throws AppError FORBIDDEN, IMPERSONATION_TARGET_INVALID
 */
export async function resolveImpersonatedCaller(
  records: EnvironmentRecords,
  env: EnvironmentId,
  real: Caller,
  target: ImpersonationTarget,
): Promise<Caller> {
  requireTaskPrivilege(real, 'prvActOnBehalfOfAnotherUser')
  const refuse = () =>
    new AppError(
      'IMPERSONATION_TARGET_INVALID',
      `The user named by the ${HEADER[target.by]} header can't be impersonated: no enabled user of this environment has that id.`,
    )
  const users = await records.queryRecords(
    env,
    'systemuser',
    { count: false, select: ['systemuserid', 'businessunitid', 'isdisabled'] },
    { where: (eb) => eb(eb.ref(target.by), '=', target.id), limit: 2 },
  )
  const user = users.records[0]
  if (user === undefined || users.records.length !== 1 || user['isdisabled'] === true) {
    throw refuse()
  }
  const systemUserId = String(user['systemuserid'])
  if (systemUserId === real.systemUserId) return real
  const ids = await records.readProvisionedIds(env)
  if (systemUserId === ids.systemUserId) throw refuse()
  if (await holdsServiceOnlyRole(records, env, systemUserId)) throw refuse()
  const acting = await loadCaller(records, env, systemUserId, String(user['businessunitid']))
  return { ...acting, impersonator: real }
}

/**
 * Whether the user is assigned a service-only predefined role (Support User): such an
 * assignment grants nothing (loadSecurityContext skips it), but it marks a service identity,
 * which a delegate may not act as.
 */
async function holdsServiceOnlyRole(
  records: EnvironmentRecords,
  env: EnvironmentId,
  systemUserId: string,
): Promise<boolean> {
  const assigned = await records.queryRecords(
    env,
    'systemuserroles',
    { count: false, select: ['roleid'] },
    { where: (eb) => eb(eb.ref('systemuserid'), '=', systemUserId), limit: 1000 },
  )
  const roleIds = assigned.records.map((r) => String(r['roleid']))
  if (roleIds.length === 0) return false
  const roles = await records.queryRecords(
    env,
    'role',
    { count: false, select: ['roletemplateid'] },
    { where: (eb) => eb(eb.ref('roleid'), 'in', roleIds), limit: 1000 },
  )
  return roles.records.some((r) => {
    const template = r['roletemplateid']
    return (
      predefinedRoleByTemplate(typeof template === 'string' ? template : undefined)?.assignable ===
      false
    )
  })
}
