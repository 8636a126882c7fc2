import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Caller } from '../authz/caller.ts'
import type { Environment } from '../control/environments/environment.ts'
import type { ImpersonationTarget } from '../identity/impersonation-target.ts'
import type { Principal, TokenVerifier } from '../identity/principal.ts'
import type { EnvironmentId } from '../shared/ids.ts'

export const API_VERSIONS = ['v9.0', 'v9.1', 'v9.2'] as const
export type ApiVersion = (typeof API_VERSIONS)[number]

export type { Caller } from '../authz/caller.ts'

/** Everything the pipeline established before the OData layer runs. */
export interface ApiRequestContext {
  readonly requestId: string
  readonly environment: Environment
  readonly principal: Principal
  readonly caller: Caller
  /**
   * The caller a `$batch` part acts as, from its headers (its own impersonation header, or the
   * batch's, inherited): the same parsing, checks and caches as the request's own. Absent: a
   * part acts as `caller`, and one that asks for another user than the batch is refused.
   */
  readonly callerFor?: (headers: Readonly<Record<string, string | undefined>>) => Promise<Caller>
  /** https://host:port/<tenant>/<environment>/ */
  readonly environmentUrl: string
  /** <environmentUrl>api/data/<version>/ */
  readonly webApiUrl: string
  readonly version: ApiVersion
}

/** One OData request, independent of the transport, so $batch parts run through it too. */
export interface ODataRequest {
  readonly method: string
  /** The path after `/api/data/<version>/`, still percent-encoded, without the query. */
  readonly path: string
  /** Decoded query options; an option given twice is refused before this point. */
  readonly query: Readonly<Record<string, string>>
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  /** Parsed JSON body, raw text for $batch, or undefined. */
  readonly body: unknown
  /**
   * Aborted when the client went away before the answer was sent (set for $batch, which
   * checks it between requests and stops instead of running the rest for nobody).
   */
  readonly signal?: AbortSignal
}

export interface ODataResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** A JSON value, a text body (string), or none. */
  readonly body?: unknown
}

export type ODataHandler = (ctx: ApiRequestContext, req: ODataRequest) => Promise<ODataResponse>

/** What the identity domain gives the API. */
export interface ApiIdentity {
  readonly verifier: TokenVerifier
  /**
   * The principal's user in the environment, or with `impersonate` the user it acts as
   * (docs/authz.md §8). @throws AppError UNAUTHORIZED, FORBIDDEN, IMPERSONATION_TARGET_INVALID
   */
  resolveCaller(
    environmentId: EnvironmentId,
    principal: Principal,
    impersonate?: ImpersonationTarget,
  ): Promise<Caller>
  /** Serves the tenant's built-in OpenID provider (discovery, JWKS, token endpoint). */
  handleOidcRequest?(tenant: string, req: IncomingMessage, res: ServerResponse): Promise<void>
}
