import type { ApplicationUser } from './application-user.ts'
import type { IdentityContext } from './identity-context.ts'

/**
 * The application users (OAuth clients) of one environment, oldest first.
 * @throws AppError TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED,
 *   ENVIRONMENT_UNAVAILABLE
 */
export async function listApplicationUsers(
  ctx: IdentityContext,
  input: { tenant: string; environment: string },
): Promise<ApplicationUser[]> {
  const env = await ctx.directory.findEnvironment(input.tenant, input.environment)
  const rows = await ctx.db
    .selectFrom('identity_clients')
    .select(['client_id', 'name', 'application_user_id', 'created_at'])
    .where('tenant_id', '=', env.tenantId)
    .where('environment_id', '=', env.environmentId)
    .orderBy('created_at')
    .orderBy('client_id')
    .execute()
  return rows.map((r) => ({
    clientId: r.client_id,
    name: r.name,
    tenantId: env.tenantId,
    environmentId: env.environmentId,
    applicationUserId: r.application_user_id,
    createdAt: r.created_at,
  }))
}
