import { predefinedRoleByTemplate } from '../authz/index.ts'
import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import type { CreatedApplicationUser } from './application-user.ts'
import { generateClientSecret, hashClientSecret } from './client-secret.ts'
import type { IdentityContext } from './identity-context.ts'
import { environmentUrl, issuerUrl } from './urls.ts'

/** systemuser.accessmode 4: Non-interactive (Dataverse application users). */
const NON_INTERACTIVE = 4

const INPUT = z.strictObject({
  tenant: z.string().min(1).max(63),
  environment: z.string().min(1).max(63),
  name: z.string().trim().min(1).max(200),
  role: z.string().trim().min(1).max(100),
})

/**
 * Creates an application user (server-to-server): an OAuth client of the tenant's built-in
 * provider, registered for one environment, and its systemuser in that environment
 * (`applicationid` = client id, a fresh `azureactivedirectoryobjectid`, `accessmode`
 * Non-interactive, root business unit) holding `role`. The client secret is returned here only; the control plane keeps its scrypt hash.
 *
 * @throws AppError VALIDATION (input, or a role the environment doesn't have),
 *   TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED, ENVIRONMENT_UNAVAILABLE
 */
export async function createApplicationUser(
  ctx: IdentityContext,
  input: { tenant: string; environment: string; name: string; role: string },
): Promise<CreatedApplicationUser> {
  const parsed = INPUT.safeParse(input)
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'The application user is not valid.', {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    })
  }
  const { name, role } = parsed.data
  const env = await ctx.directory.findEnvironment(parsed.data.tenant, parsed.data.environment)
  const ids = await ctx.records.readProvisionedIds(env.environmentId)
  const system = { actorId: ids.systemUserId }
  const roles = await ctx.records.queryRecords(
    env.environmentId,
    'role',
    { count: false, select: ['roleid', 'name', 'roletemplateid'] },
    { limit: 1000 },
  )
  // Service-only predefined roles (Support User) can't be assigned (dataverse-spec §3).
  const assignable = roles.records.filter(
    (r) => predefinedRoleByTemplate(stringOrUndefined(r['roletemplateid']))?.assignable !== false,
  )
  const roleId = assignable.find((r) => r['name'] === role)?.['roleid']
  if (typeof roleId !== 'string') {
    const known = assignable.map((r) => `'${String(r['name'])}'`).join(', ')
    throw new AppError(
      'VALIDATION',
      `The environment has no security role '${role}'. Roles: ${known}.`,
      {
        details: [{ path: 'role', message: 'unknown security role' }],
      },
    )
  }

  const clientId = ctx.random.uuid().toLowerCase()
  const secret = generateClientSecret(ctx.random)
  const secretHash = await hashClientSecret(secret, ctx.random)
  const userId = await ctx.records.createRecord(
    env.environmentId,
    'systemuser',
    {
      fullname: name,
      applicationid: clientId,
      // Entra gives an application user its service principal's object id; ours is minted
      // here, so the user can be impersonated by CallerObjectId too (docs/authz.md §8).
      azureactivedirectoryobjectid: ctx.random.uuid().toLowerCase(),
      accessmode: NON_INTERACTIVE,
      businessunitid: ids.businessUnitId,
      isdisabled: false,
    },
    system,
  )
  let assignmentId: string | undefined
  const createdAt = ctx.clock.now().toISOString()
  try {
    assignmentId = await ctx.records.createRecord(
      env.environmentId,
      'systemuserroles',
      { systemuserid: userId, roleid: roleId },
      system,
    )
    await ctx.db
      .insertInto('identity_clients')
      .values({
        client_id: clientId,
        tenant_id: env.tenantId,
        environment_id: env.environmentId,
        name,
        secret_hash: secretHash,
        application_user_id: userId,
        created_at: createdAt,
      })
      .execute()
  } catch (e) {
    // The two databases share no transaction: undo the environment side (best effort).
    if (assignmentId !== undefined) {
      await ctx.records
        .deleteRecord(env.environmentId, 'systemuserroles', assignmentId, system)
        .catch(() => undefined)
    }
    await ctx.records
      .deleteRecord(env.environmentId, 'systemuser', userId, system)
      .catch(() => undefined)
    secret.dispose()
    throw e
  }
  ctx.logger.log('info', 'application_user.created', {
    tenantId: env.tenantId,
    environmentId: env.environmentId,
    clientId,
    applicationUserId: userId,
  })
  const issuer = issuerUrl(ctx.publicUrl, env.tenantName)
  return {
    clientId,
    name,
    tenantId: env.tenantId,
    environmentId: env.environmentId,
    applicationUserId: userId,
    createdAt,
    clientSecret: secret,
    issuer,
    tokenEndpoint: `${issuer}/token`,
    resource: environmentUrl(ctx.publicUrl, env.tenantName, env.environmentName, ctx.routing),
  }
}

const stringOrUndefined = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : undefined
