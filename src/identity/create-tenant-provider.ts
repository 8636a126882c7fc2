import Provider, { errors, type Configuration } from 'oidc-provider'
import type { Clock } from '../shared/clock.ts'
import type { TenantId } from '../shared/ids.ts'
import { isGuid } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import type { Random } from '../shared/random.ts'
import type { Secret } from '../shared/secret.ts'
import { verifyClientSecret } from './client-secret.ts'
import { storedGroups } from './set-application-groups.ts'
import { createMemoryAdapter } from './memory-adapter.ts'
import { loadSigningKeys, SIGNING_ALG } from './signing-keys.ts'
import { registerBuiltInIssuer } from './trusted-issuers.ts'
import type { IdentityDb, IdentityDirectory } from './types.ts'
import { environmentNameOf, issuerUrl, type Routing } from './urls.ts'

export interface TenantProviderOptions {
  readonly db: IdentityDb
  readonly sealKey: Secret
  readonly publicUrl: string
  readonly routing?: Routing
  readonly directory: IdentityDirectory
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
  readonly accessTokenTtlSeconds: number
}

/** Models other than Client a provider keeps in memory (see memory-adapter.ts). */
const MEMORY_ADAPTER_CAPACITY = 10_000

/**
 * Builds the oidc-provider instance of one tenant: issuer `<publicUrl>/<tenant>/oauth2`, the
 * tenant's ES256 signing keys, clients from the control plane, client credentials with JWT
 * access tokens for exactly one environment of the tenant (RFC 8707 resource indicators).
 * Registers (or refreshes) the tenant's built-in trusted issuer with the public keys.
 */
export async function createTenantProvider(
  options: TenantProviderOptions,
  tenant: { readonly id: TenantId; readonly name: string },
): Promise<Provider> {
  const { db, clock, logger } = options
  const issuer = issuerUrl(options.publicUrl, tenant.name)
  const keys = await loadSigningKeys(db, options, tenant.id)
  await registerBuiltInIssuer(db, options, {
    tenantId: tenant.id,
    issuer,
    publicJwks: keys.publicJwks,
    algorithm: SIGNING_ALG,
  })

  const findClient = async (clientId: string) => {
    if (!isGuid(clientId)) return undefined
    // Scoped by tenant: another tenant's client doesn't exist at this issuer.
    return db
      .selectFrom('identity_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirst()
  }
  const memory = createMemoryAdapter(clock, MEMORY_ADAPTER_CAPACITY)
  const ttl = options.accessTokenTtlSeconds

  const configuration: Configuration = {
    adapter: (name: string) => {
      if (name !== 'Client') return memory(name)
      const store = memory('Client')
      return {
        ...store,
        async find(id: string) {
          const row = await findClient(id)
          if (row === undefined) return undefined
          return {
            client_id: row.client_id,
            // The stored value is the scrypt hash, never the secret: compareClientSecret
            // below verifies against it. Every feature that would use client_secret as an
            // HMAC or encryption key is off (client_secret_jwt, HS* algorithms).
            client_secret: row.secret_hash,
            client_name: row.name,
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: 'client_secret_basic',
          }
        },
      }
    },
    jwks: { keys: keys.privateJwks.map((k) => ({ ...k })) },
    // Group claims (docs/authz.md §16): an application configured with groups
    // (setApplicationGroups) gets them in its access tokens' `groups` claim, as Entra puts a
    // service principal's group memberships in app-only tokens.
    extraTokenClaims: async (_ctx, token) => {
      const clientId = (token as { clientId?: unknown }).clientId
      if (typeof clientId !== 'string') return undefined
      const groups = storedGroups((await findClient(clientId))?.groups)
      return groups.length === 0 ? undefined : { groups }
    },
    // EXTENSION POINT (interactive users, a later issue): the account store. Authorization
    // code + PKCE, passwords (argon2id), MFA and passkeys plug in here and in `interactions`.
    findAccount: () => undefined,
    interactions: {
      // EXTENSION POINT: the sign-in UI. No interactive client can be registered yet.
      url: (_ctx, interaction) => `/${tenant.name}/oauth2/interaction/${interaction.uid}`,
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: SIGNING_ALG,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: [SIGNING_ALG],
      userinfoSigningAlgValues: [SIGNING_ALG],
      introspectionSigningAlgValues: [SIGNING_ALG],
      authorizationSigningAlgValues: [SIGNING_ALG],
      requestObjectSigningAlgValues: [SIGNING_ALG],
      clientAuthSigningAlgValues: [SIGNING_ALG],
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // RFC 8707 §2: a token is for one named resource; none given is refused here rather
        // than issuing a token without audience.
        defaultResource: () => {
          throw new errors.InvalidTarget(
            'a resource parameter naming an environment URL is required',
          )
        },
        useGrantedResource: () => false,
        // RFC 8707 §2.2: only resources the client is registered for, i.e. the environment URL
        // of its own environment in this tenant.
        getResourceServerInfo: async (_ctx, resource, client) => {
          const refuse = () =>
            new errors.InvalidTarget('the resource is not an environment this client may access')
          const envName = environmentNameOf(
            options.publicUrl,
            tenant.name,
            resource,
            options.routing,
          )
          const row = await findClient(client.clientId)
          if (envName === undefined || row === undefined) throw refuse()
          const env = await options.directory
            .findEnvironment(tenant.name, envName)
            .catch(() => undefined)
          if (env?.tenantId !== tenant.id || env.environmentId !== row.environment_id)
            throw refuse()
          return {
            scope: 'user_impersonation',
            audience: resource,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          }
        },
      },
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: ttl,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      RefreshToken: 24 * 3600,
    },
    clientBasedCORS: () => false,
    // Cookies only matter for interactive sign-in (later); a per-process key is enough now.
    cookies: { keys: [Buffer.from(options.random.bytes(32)).toString('base64url')] },
    renderError: (ctx, out) => {
      ctx.type = 'application/json; charset=utf-8'
      ctx.body = out
    },
  }

  const provider = new Provider(issuer, configuration)
  // The API has terminated TLS; handle-oidc-request sets the forwarded headers from publicUrl
  // (and drops any the client sent), so oidc-provider builds URLs from the public URL.
  provider.proxy = true
  // oidc-provider compares client secrets in plaintext by default; the supported override is
  // the Client prototype's compareClientSecret (panva/node-oidc-provider#631). Ours verifies
  // against the stored scrypt hash in constant time.
  provider.Client.prototype.compareClientSecret = function (
    this: { clientSecret?: string },
    actual: string,
  ) {
    return verifyClientSecret(actual, this.clientSecret ?? '')
  }
  provider.on('server_error', (_ctx: unknown, err: Error) => {
    logger.log('error', 'identity.server_error', { tenantId: tenant.id, error: err.message })
  })
  provider.on('grant.error', (_ctx: unknown, err: Error) => {
    logger.log('debug', 'identity.grant_error', { tenantId: tenant.id, error: err.message })
  })
  return provider
}
