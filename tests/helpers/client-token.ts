import { request } from 'node:https'

/**
 * An access token from a tenant's token endpoint with the client-credentials grant (client
 * secret in HTTP Basic, RFC 6749 §2.3.1), for `resource` (RFC 8707), over TLS trusting `ca`.
 * @throws Error with the endpoint's answer when no token comes back
 */
export async function fetchClientToken(input: {
  readonly tokenEndpoint: string
  readonly clientId: string
  readonly clientSecret: string
  readonly resource: string
  readonly ca: string
}): Promise<string> {
  const basic = Buffer.from(`${input.clientId}:${input.clientSecret}`).toString('base64')
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      input.tokenEndpoint,
      {
        method: 'POST',
        ca: input.ca,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${basic}`,
        },
      },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => {
          resolve(body)
        })
      },
    )
    req.on('error', reject)
    req.end(
      new URLSearchParams({
        grant_type: 'client_credentials',
        resource: input.resource,
      }).toString(),
    )
  })
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token
  if (typeof token !== 'string') throw new Error(`no token: ${text}`)
  return token
}
