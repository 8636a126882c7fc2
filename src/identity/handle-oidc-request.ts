import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import { oidcMountPath } from './urls.ts'

/**
 * Hands one request under `/<tenant>/oauth2` to the tenant's provider. oidc-provider routes on
 * paths relative to its mount point and builds its URLs from the mount path and the request's
 * origin, so for the duration of the call:
 * - `req.url` loses the `/<tenant>/oauth2` prefix and `req.baseUrl` carries it (plus any path
 *   of the public URL), which oidc-provider reads as the mount path (express convention);
 * - the forwarded headers are set from the public URL, replacing any a client sent (the API
 *   terminates TLS itself; no proxy in front is trusted), and the provider runs with
 *   `proxy = true`, so discovery and token endpoint URLs are the public ones.
 * The original url and headers are restored afterwards.
 *
 * @throws RangeError when `req.url` is not under the tenant's mount path (a routing bug)
 */
export async function handleOidcRequest(
  provider: Provider,
  publicUrl: string,
  tenantName: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const mount = oidcMountPath(tenantName)
  const url = req.url ?? '/'
  const rest = url.slice(mount.length)
  if (!url.startsWith(mount) || (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?'))) {
    throw new RangeError('the request is not under the tenant OIDC mount path')
  }
  const origin = new URL(publicUrl)
  const basePath = origin.pathname.replace(/\/+$/, '')
  const r = req as IncomingMessage & { originalUrl?: string; baseUrl?: string }
  const saved = {
    url: r.url,
    originalUrl: r.originalUrl,
    baseUrl: r.baseUrl,
    proto: r.headers['x-forwarded-proto'],
    host: r.headers['x-forwarded-host'],
    forwardedFor: r.headers['x-forwarded-for'],
  }
  r.url = rest.startsWith('/') ? rest : `/${rest}`
  delete r.originalUrl
  r.baseUrl = `${basePath}${mount}`
  r.headers['x-forwarded-proto'] = origin.protocol.slice(0, -1)
  r.headers['x-forwarded-host'] = origin.host
  delete r.headers['x-forwarded-for']
  try {
    await provider.callback()(req, res)
  } finally {
    r.url = saved.url
    if (saved.originalUrl === undefined) delete r.originalUrl
    else r.originalUrl = saved.originalUrl
    if (saved.baseUrl === undefined) delete r.baseUrl
    else r.baseUrl = saved.baseUrl
    for (const [name, value] of [
      ['x-forwarded-proto', saved.proto],
      ['x-forwarded-host', saved.host],
      ['x-forwarded-for', saved.forwardedFor],
    ] as const) {
      if (value === undefined) Reflect.deleteProperty(r.headers, name)
      else r.headers[name] = value
    }
  }
}
