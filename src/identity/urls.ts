/**
 * The URL layout the identity domain and the API share. Tenant and environment names are slugs
 * (shared/names.ts), so they never need escaping in a path.
 *
 *   issuer            <publicUrl>/<tenant>/oauth2
 *   discovery         <issuer>/.well-known/openid-configuration
 *   token endpoint    <issuer>/token          JWKS  <issuer>/jwks
 *   environment URL   <publicUrl>/<tenant>/<environment>/   (the access token's `aud`)
 *                     or, with host routing (server.routing = "host"),
 *                     https://<environment>.<tenant>.<publicUrl host>[:<port>]/
 */

/** How environments are addressed: by path under publicUrl, or by host name under its host. */
export type Routing = 'path' | 'host'

const base = (publicUrl: string): string => publicUrl.replace(/\/+$/, '')

/** The path under which the API mounts a tenant's OIDC endpoints: `/<tenant>/oauth2`. */
export const oidcMountPath = (tenantName: string): string => `/${tenantName}/oauth2`

/** The built-in identity provider's issuer of a tenant. */
export const issuerUrl = (publicUrl: string, tenantName: string): string =>
  `${base(publicUrl)}${oidcMountPath(tenantName)}`

/** An environment's URL: the resource a client asks a token for, and the token's audience. */
export function environmentUrl(
  publicUrl: string,
  tenantName: string,
  environmentName: string,
  routing: Routing = 'path',
): string {
  if (routing === 'path') return `${base(publicUrl)}/${tenantName}/${environmentName}/`
  const url = new URL(publicUrl)
  return `${url.protocol}//${environmentName}.${tenantName}.${url.host}/`
}

/**
 * The environment name of an environment URL of `tenantName`, or undefined when the URL is
 * not exactly `<publicUrl>/<tenant>/<environment>/` (another tenant, a longer path, a query).
 */
export function environmentNameOf(
  publicUrl: string,
  tenantName: string,
  url: string,
  routing: Routing = 'path',
): string | undefined {
  let name: string
  if (routing === 'path') {
    const prefix = `${base(publicUrl)}/${tenantName}/`
    if (!url.startsWith(prefix) || !url.endsWith('/')) return undefined
    name = url.slice(prefix.length, -1)
  } else {
    const { protocol, host } = new URL(publicUrl)
    const suffix = `.${tenantName}.${host}/`
    const scheme = `${protocol}//`
    if (!url.startsWith(scheme) || !url.endsWith(suffix)) return undefined
    name = url.slice(scheme.length, -suffix.length)
  }
  return SLUG.test(name) ? name : undefined
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * The tenant and environment a request's Host header names under host routing
 * (`<environment>.<tenant>.<publicUrl host>`), or undefined for any other host.
 */
export function environmentOfHost(
  publicUrl: string,
  hostHeader: string,
): { tenant: string; environment: string } | undefined {
  const { host } = new URL(publicUrl)
  const given = hostHeader.toLowerCase()
  const suffix = `.${host}`
  if (!given.endsWith(suffix)) return undefined
  const labels = given.slice(0, -suffix.length).split('.')
  if (labels.length !== 2) return undefined
  const [environment = '', tenant = ''] = labels
  return SLUG.test(environment) && SLUG.test(tenant) ? { tenant, environment } : undefined
}
