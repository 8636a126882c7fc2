/**
 * The URL layout the identity domain and the API share. Tenant and environment names are slugs
 * (shared/names.ts), so they never need escaping in a path.
 *
 *   issuer            <publicUrl>/<tenant>/oauth2
 *   discovery         <issuer>/.well-known/openid-configuration
 *   token endpoint    <issuer>/token          JWKS  <issuer>/jwks
 *   environment URL   <publicUrl>/<tenant>/<environment>/   (the access token's `aud`)
 */

const base = (publicUrl: string): string => publicUrl.replace(/\/+$/, '')

/** The path under which the API mounts a tenant's OIDC endpoints: `/<tenant>/oauth2`. */
export const oidcMountPath = (tenantName: string): string => `/${tenantName}/oauth2`

/** The built-in identity provider's issuer of a tenant. */
export const issuerUrl = (publicUrl: string, tenantName: string): string =>
  `${base(publicUrl)}${oidcMountPath(tenantName)}`

/** An environment's URL: the resource a client asks a token for, and the token's audience. */
export const environmentUrl = (
  publicUrl: string,
  tenantName: string,
  environmentName: string,
): string => `${base(publicUrl)}/${tenantName}/${environmentName}/`

/**
 * The environment name of an environment URL of `tenantName`, or undefined when the URL is
 * not exactly `<publicUrl>/<tenant>/<environment>/` (another tenant, a longer path, a query).
 */
export function environmentNameOf(
  publicUrl: string,
  tenantName: string,
  url: string,
): string | undefined {
  const prefix = `${base(publicUrl)}/${tenantName}/`
  if (!url.startsWith(prefix) || !url.endsWith('/')) return undefined
  const name = url.slice(prefix.length, -1)
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name) ? name : undefined
}
