import type { Routing } from './urls.ts'
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'
import type { ControlDb } from '../control/schema.ts'
import type { Clock } from '../shared/clock.ts'
import type { EnvironmentId, TenantId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import type { Random } from '../shared/random.ts'
import type { Secret } from '../shared/secret.ts'

/** The identity tables live in the control plane (schema version 2). */
export type IdentityDb = Kysely<ControlDb>

/** A tenant's environment, resolved by the control plane. */
export interface IdentityEnvironment {
  readonly tenantId: TenantId
  readonly tenantName: string
  readonly environmentId: EnvironmentId
  readonly environmentName: string
}

/** Port: tenants and environments, as the control plane knows them (wired in app.ts). */
export interface IdentityDirectory {
  /** @throws AppError TENANT_NOT_FOUND */
  findTenant(name: string): Promise<{ readonly id: TenantId; readonly name: string }>
  /**
   * An environment that can serve requests now.
   * @throws AppError TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, ENVIRONMENT_LOCKED,
   *   ENVIRONMENT_UNAVAILABLE
   */
  findEnvironment(tenantName: string, environmentName: string): Promise<IdentityEnvironment>
}

type Row = Readonly<Record<string, string | number | boolean | null>>
type Where = (
  eb: ExpressionBuilder<Record<string, Record<string, unknown>>, string>,
) => Expression<SqlBool>

/**
 * Port: the records of an environment (the records service satisfies it). Application users
 * are systemuser rows and their roles systemuserroles rows, written through the same domain
 * operations as any record, so validation and versionnumbers stay consistent.
 */
export interface EnvironmentRecords {
  /** Changes whenever anything a Caller is resolved from changes (authz security version). */
  readSecurityVersion(env: EnvironmentId): Promise<string>
  readProvisionedIds(env: EnvironmentId): Promise<{
    readonly businessUnitId: string
    readonly systemUserId: string
    readonly systemAdministratorRoleId: string
    readonly basicUserRoleId: string
  }>
  createRecord(
    env: EnvironmentId,
    table: string,
    data: Readonly<Record<string, unknown>>,
    options: { readonly actorId: string },
  ): Promise<string>
  updateRecord(
    env: EnvironmentId,
    table: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    options: { readonly actorId: string },
  ): Promise<number>
  deleteRecord(
    env: EnvironmentId,
    table: string,
    id: string,
    options: { readonly actorId: string },
  ): Promise<void>
  queryRecords(
    env: EnvironmentId,
    table: string,
    options: { readonly count: boolean; readonly select?: readonly string[] },
    extra: { readonly where?: Where; readonly limit?: number },
  ): Promise<{ readonly records: readonly Row[] }>
}

/** What the identity service is given by the composition root. */
export interface IdentityServiceOptions {
  readonly db: IdentityDb
  /** Seals the signing keys' private JWKs (AES-256-GCM); app.ts derives it by HKDF. */
  readonly sealKey: Secret
  /** config.server.publicUrl (or its default): the base of issuers and environment URLs. */
  readonly publicUrl: string
  /** server.routing: environment URLs by path under publicUrl (default) or by host name. */
  readonly routing?: Routing
  readonly directory: IdentityDirectory
  readonly records: EnvironmentRecords
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
  /** For remote JWKS of external issuers only (STYLE §3: injected). Default: global fetch. */
  readonly fetch?: typeof fetch
  /** Access token lifetime in seconds (default 3600, as Entra's). */
  readonly accessTokenTtlSeconds?: number
  /** Tenants whose provider stays in memory (default 64). */
  readonly providerCacheSize?: number
  /** Resolved callers kept while the environment's security version holds (default 4096). */
  readonly callerCacheSize?: number
}
