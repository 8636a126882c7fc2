import type { Config } from '../config/index.ts'
import { environmentUrl, type Routing } from '../identity/index.ts'

/** The public base URL clients use, without a trailing slash. */
export function publicBaseUrl(config: Config, boundPort?: number): string {
  const configured = config.server.publicUrl
  if (configured !== undefined) {
    // The same normal form the identity domain uses for issuers and audiences: origin (lower-
    // case host, default port dropped) plus the path without trailing slashes.
    const url = new URL(configured)
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  }
  return `https://localhost:${String(boundPort ?? config.server.port)}`
}

/** An environment's base URL and Web API root (dataverse-spec §7: /api/data/v9.2/). */
export function environmentUrls(
  base: string,
  tenant: string,
  environment: string,
  routing: Routing = 'path',
): { url: string; webApiUrl: string } {
  const url = environmentUrl(base, tenant, environment, routing)
  return { url, webApiUrl: `${url}api/data/v9.2/` }
}
