import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import type { EnvironmentId, TenantId } from '../shared/ids.ts'
import { Lru } from '../shared/lru.ts'
import type { ApplicationUser, Caller, CreatedApplicationUser } from './application-user.ts'
import { createApplicationUser } from './create-application-user.ts'
import { createTenantProvider } from './create-tenant-provider.ts'
import { deleteApplicationUser } from './delete-application-user.ts'
import { handleOidcRequest } from './handle-oidc-request.ts'
import type { IdentityContext } from './identity-context.ts'
import { listApplicationUsers } from './list-application-users.ts'
import { groupSetKey, type Principal, type TokenVerifier } from './principal.ts'
import type { ImpersonationTarget } from './impersonation-target.ts'
import { resolveCaller } from './resolve-caller.ts'
import { resolveImpersonatedCaller } from './resolve-impersonated-caller.ts'
import { setApplicationGroups } from './set-application-groups.ts'
import type { IdentityServiceOptions } from './types.ts'
import { environmentUrl, issuerUrl } from './urls.ts'
import { CLOCK_TOLERANCE_SECONDS, createTokenVerifier } from './verify-access-token.ts'

/** Access tokens live one hour by default, as Entra's do. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600

/** The identity domain as the API and the CLI use it. */
export interface IdentityService {
  /**
   * Serves `/<tenant>/oauth2/*` (discovery, JWKS, token endpoint) from the tenant's built-in
   * provider. `req.url` must be the full path, starting with `/<tenant>/oauth2`. The response
   * is written completely (errors included, as OAuth JSON) unless the call rejects.
   * @throws AppError TENANT_NOT_FOUND before anything is written
   */
  handleOidcRequest(tenantName: string, req: IncomingMessage, res: ServerResponse): Promise<void>
  /** Verifies bearer tokens of a tenant's trusted issuers (see TokenVerifier). */
  readonly verifier: TokenVerifier
  /**
   * Maps a verified principal to its systemuser in `env`; with `impersonate`, to the user it
   * names, acting for the principal's user (resolveImpersonatedCaller, docs/authz.md §8).
   * @throws AppError UNAUTHORIZED, FORBIDDEN, IMPERSONATION_TARGET_INVALID
   */
  resolveCaller(
    env: EnvironmentId,
    principal: Principal,
    impersonate?: ImpersonationTarget,
  ): Promise<Caller>
  createApplicationUser(input: {
    tenant: string
    environment: string
    name: string
    role: string
  }): Promise<CreatedApplicationUser>
  listApplicationUsers(input: { tenant: string; environment: string }): Promise<ApplicationUser[]>
  deleteApplicationUser(input: {
    tenant: string
    environment: string
    clientId: string
  }): Promise<{ clientId: string; applicationUserId: string }>
  /**
   * Sets the group object ids the application's next tokens carry (`groups` claim; group
   * teams, docs/authz.md §16). @throws AppError VALIDATION, APPLICATION_NOT_FOUND
   */
  setApplicationGroups(input: {
    tenant: string
    environment: string
    clientId: string
    groups: readonly string[]
  }): Promise<readonly string[]>
  /** The built-in issuer of a tenant. */
  issuerUrl(tenantName: string): string
  /** An environment's URL: the audience its tokens carry. */
  environmentUrl(tenantName: string, environmentName: string): string
  /** Drops a tenant's cached provider (after key rotation or tenant deletion). */
  forgetTenant(tenantId: TenantId): void
  /**
   * Replaces the public URL, e.g. once the server knows its port when it listened on port 0.
   * Cached providers are dropped, so issuers follow. Call it before serving requests.
   */
  setPublicUrl(publicUrl: string): void
}

/** An origin (plus optional path) without trailing slash, query or fragment. */
function parsePublicUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:') {
    throw new RangeError('the public URL must be an https URL')
  }
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') {
    throw new RangeError('the public URL must not have a query, fragment or credentials')
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
}

/**
 * Creates the identity service: one oidc-provider per tenant, built at first use and kept in a
 * bounded LRU; the verifier; the application-user operations. No I/O happens here.
 */
export function createIdentityService(options: IdentityServiceOptions): IdentityService {
  const ttl = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS
  let publicUrl = parsePublicUrl(options.publicUrl)
  const routing = options.routing ?? 'path'
  const ctx: IdentityContext = {
    db: options.db,
    directory: options.directory,
    records: options.records,
    get publicUrl() {
      return publicUrl
    },
    routing,
    clock: options.clock,
    random: options.random,
    logger: options.logger,
  }
  const providers = new Lru<TenantId, Promise<Provider>>(
    options.providerCacheSize ?? 64,
    () => undefined,
  )
  const providerFor = (tenant: { id: TenantId; name: string }): Promise<Provider> => {
    let provider = providers.get(tenant.id)
    if (provider === undefined) {
      provider = createTenantProvider({ ...options, publicUrl, accessTokenTtlSeconds: ttl }, tenant)
      providers.set(tenant.id, provider)
      provider.catch(() => {
        if (providers.peek(tenant.id) === provider) void providers.delete(tenant.id)
      })
    }
    return provider
  }

  // Callers by environment and principal, with the security version they were read under.
  const callers = new Lru<string, { readonly version: string; readonly caller: Caller }>(
    options.callerCacheSize ?? 4096,
    () => undefined,
  )

  const verifier = createTokenVerifier({
    db: options.db,
    clock: options.clock,
    logger: options.logger,
    // A token is never accepted longer than its lifetime after issue, whatever its exp says.
    maxTokenAgeSeconds: ttl + CLOCK_TOLERANCE_SECONDS,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    isClientActive: async (tenantId, clientId, audience) => {
      const row = await options.db
        .selectFrom('identity_clients as c')
        .innerJoin('tenants as t', 't.id', 'c.tenant_id')
        .innerJoin('environments as e', 'e.id', 'c.environment_id')
        .select(['t.name as tenant', 'e.name as environment'])
        .where('c.client_id', '=', clientId.toLowerCase())
        .where('c.tenant_id', '=', tenantId)
        .executeTakeFirst()
      return (
        row !== undefined &&
        environmentUrl(publicUrl, row.tenant, row.environment, routing) === audience
      )
    },
  })

  return {
    async handleOidcRequest(tenantName, req, res) {
      const tenant = await options.directory.findTenant(tenantName)
      const provider = await providerFor(tenant)
      await handleOidcRequest(provider, publicUrl, tenant.name, req, res)
    },
    verifier,
    async resolveCaller(env, principal, impersonate) {
      // Reused while the environment's security version is unchanged (docs/authz.md §7): a
      // record write elsewhere doesn't cost a re-resolution, a role or team change does.
      const version = await options.records.readSecurityVersion(env)
      // Every principal field resolveCaller reads is part of the key.
      const key = [
        env,
        principal.kind,
        principal.issuerKind,
        principal.issuer,
        principal.subject,
        principal.clientId,
        // Group teams: membership comes from the token, so a changed group set is another
        // caller (docs/authz.md §16).
        groupSetKey(principal),
      ].join('\n')
      const cached = async (k: string, resolve: () => Promise<Caller>): Promise<Caller> => {
        const hit = callers.get(k)
        if (hit !== undefined && hit.version === version) return hit.caller
        const caller = await resolve()
        callers.set(k, { version, caller })
        return caller
      }
      const real = await cached(key, () => resolveCaller(options.records, env, principal))
      if (impersonate === undefined) return real
      // Keyed on the (real, impersonated) pair, under the same version: a role, team or user
      // change of either re-resolves both on the next request.
      return cached(`${key}\n${impersonate.by}\n${impersonate.id}`, () =>
        resolveImpersonatedCaller(options.records, env, real, impersonate),
      )
    },
    createApplicationUser: (input) => createApplicationUser(ctx, input),
    listApplicationUsers: (input) => listApplicationUsers(ctx, input),
    deleteApplicationUser: (input) => deleteApplicationUser(ctx, input),
    setApplicationGroups: (input) => setApplicationGroups(ctx, input),
    issuerUrl: (tenantName) => issuerUrl(publicUrl, tenantName),
    environmentUrl: (tenantName, environmentName) =>
      environmentUrl(publicUrl, tenantName, environmentName, routing),
    forgetTenant: (tenantId) => {
      void providers.delete(tenantId)
    },
    setPublicUrl(url) {
      publicUrl = parsePublicUrl(url)
      for (const tenantId of [...providers.keys()]) void providers.delete(tenantId)
    },
  }
}
