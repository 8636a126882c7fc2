import { AppError } from '../shared/errors.ts'
import { isGuid } from '../shared/ids.ts'
import type { IdentityContext } from './identity-context.ts'

/**
 * Deletes an application user: its OAuth client goes first, so its tokens stop working at once
 * (the verifier checks that the client is still registered), then its role assignments are
 * removed and its systemuser is disabled. The systemuser row stays, as in Dataverse, because
 * the records it created or modified still name it.
 *
 * @throws AppError APPLICATION_NOT_FOUND (also for another environment's or tenant's client),
 *   TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED, ENVIRONMENT_UNAVAILABLE
 */
export async function deleteApplicationUser(
  ctx: IdentityContext,
  input: { tenant: string; environment: string; clientId: string },
): Promise<{ clientId: string; applicationUserId: string }> {
  const env = await ctx.directory.findEnvironment(input.tenant, input.environment)
  const notFound = () =>
    new AppError('APPLICATION_NOT_FOUND', 'The environment has no application with that client id.')
  const clientId = input.clientId.trim().toLowerCase()
  if (!isGuid(clientId)) throw notFound()
  const row = await ctx.db
    .deleteFrom('identity_clients')
    .where('client_id', '=', clientId)
    .where('tenant_id', '=', env.tenantId)
    .where('environment_id', '=', env.environmentId)
    .returning('application_user_id')
    .executeTakeFirst()
  if (row === undefined) throw notFound()
  const userId = row.application_user_id
  const ids = await ctx.records.readProvisionedIds(env.environmentId)
  const system = { actorId: ids.systemUserId }
  const assignments = await ctx.records.queryRecords(
    env.environmentId,
    'systemuserroles',
    { count: false, select: ['systemuserroleid'] },
    { where: (eb) => eb(eb.ref('systemuserid'), '=', userId), limit: 1000 },
  )
  for (const a of assignments.records) {
    await ctx.records.deleteRecord(
      env.environmentId,
      'systemuserroles',
      String(a['systemuserroleid']),
      system,
    )
  }
  await ctx.records.updateRecord(
    env.environmentId,
    'systemuser',
    userId,
    { isdisabled: true },
    system,
  )
  ctx.logger.log('info', 'application_user.deleted', {
    tenantId: env.tenantId,
    environmentId: env.environmentId,
    clientId,
    applicationUserId: userId,
  })
  return { clientId, applicationUserId: userId }
}
