import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import type { TenantId } from '../../src/shared/ids.ts'
import { cli, cliJson, tempDir } from '../helpers/cli.ts'
import { filesContaining } from '../helpers/files.ts'
import { openApp } from '../helpers/open-app.ts'

interface TokenResponse {
  access_token?: string
  token_type?: string
  expires_in?: number
  error?: string
}

describe('built-in identity provider (client credentials over loopback HTTP)', () => {
  const dir = tempDir('sr-identity-')
  let app: Strongroom
  let server: Server
  let publicUrl = ''
  let local = ''
  const tenants: Record<string, TenantId> = {}

  // The API engineer's server does TLS; inside this test the provider runs on plain HTTP on
  // loopback, with the public URL set to what clients would see.
  const fetchLocal = (url: string, init?: RequestInit) => fetch(url.replace(publicUrl, local), init)
  const tokenRequest = async (
    tenant: string,
    body: Record<string, string>,
    basic?: { id: string; secret: string },
  ): Promise<{ status: number; body: TokenResponse }> => {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
    }
    if (basic !== undefined) {
      // RFC 6749 §2.3.1: form-urlencode id and secret, then base64.
      const pair = `${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`
      headers['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`
    }
    const res = await fetch(`${local}/${tenant}/oauth2/token`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(body).toString(),
    })
    return { status: res.status, body: (await res.json()) as TokenResponse }
  }

  before(async () => {
    app = await openApp(join(dir.path, 'data'), { init: true })
    for (const name of ['acme', 'globex']) {
      tenants[name] = (await createTenant(app.control, { name, actor: 'test' })).id
    }
    for (const [tenant, name] of [
      ['acme', 'prod'],
      ['acme', 'dev'],
      ['globex', 'prod'],
    ] as const) {
      await createEnvironment(app.control, { tenant, name, actor: 'test' })
    }
    server = createServer((req, res) => {
      const m = /^\/([a-z0-9-]{1,63})\/oauth2(?:[/?]|$)/.exec(req.url ?? '')
      if (m?.[1] === undefined) {
        res.statusCode = 404
        res.end()
        return
      }
      app.identity.handleOidcRequest(m[1], req, res).catch(() => {
        res.statusCode = 404
        res.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    publicUrl = `https://localhost:${String(port)}`
    local = `http://127.0.0.1:${String(port)}`
    app.identity.setPublicUrl(publicUrl)
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await app.close()
    dir.remove()
  })

  it('serves discovery and JWKS with the public URLs of the tenant issuer', async () => {
    const issuer = `${publicUrl}/acme/oauth2`
    const res = await fetchLocal(`${issuer}/.well-known/openid-configuration`)
    assert.equal(res.status, 200)
    const meta = (await res.json()) as Record<string, unknown>
    assert.equal(meta['issuer'], issuer)
    assert.equal(meta['token_endpoint'], `${issuer}/token`)
    assert.equal(meta['jwks_uri'], `${issuer}/jwks`)
    assert.deepEqual(meta['token_endpoint_auth_methods_supported'], [
      'client_secret_basic',
      'client_secret_post',
    ])
    assert.ok((meta['grant_types_supported'] as string[]).includes('client_credentials'))
    const jwksUri = meta['jwks_uri']
    assert.ok(typeof jwksUri === 'string')
    const jwks = (await (await fetchLocal(jwksUri)).json()) as { keys: Record<string, unknown>[] }
    assert.equal(jwks.keys.length, 1)
    const [key] = jwks.keys
    assert.ok(key !== undefined)
    assert.equal(key['kty'], 'EC')
    assert.equal(key['alg'], 'ES256')
    assert.equal(key['d'], undefined)
    const other = (await (await fetchLocal(`${publicUrl}/globex/oauth2/jwks`)).json()) as {
      keys: Record<string, unknown>[]
    }
    const [otherKey] = other.keys
    assert.ok(otherKey !== undefined)
    assert.notEqual(otherKey['kid'], key['kid'])
  })

  it('issues a verifiable access token by client_secret_basic and client_secret_post', async () => {
    const created = await app.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'Integration',
      role: 'System Administrator',
    })
    const secret = new TextDecoder().decode(created.clientSecret.expose())
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(created.resource, `${publicUrl}/acme/prod/`)
    assert.equal(created.tokenEndpoint, `${publicUrl}/acme/oauth2/token`)

    const basic = await tokenRequest(
      'acme',
      { grant_type: 'client_credentials', resource: created.resource },
      { id: created.clientId, secret },
    )
    assert.equal(basic.status, 200, JSON.stringify(basic.body))
    assert.equal(basic.body.token_type, 'Bearer')
    assert.equal(basic.body.expires_in, 3600)
    const post = await tokenRequest('acme', {
      grant_type: 'client_credentials',
      resource: created.resource,
      client_id: created.clientId,
      client_secret: secret,
    })
    assert.equal(post.status, 200, JSON.stringify(post.body))

    for (const token of [basic.body.access_token, post.body.access_token]) {
      const principal = await app.identity.verifier.verify(token ?? '', {
        tenantId: tenants['acme'] as TenantId,
        audience: created.resource,
      })
      assert.equal(principal.kind, 'application')
      assert.equal(principal.clientId, created.clientId)
      assert.equal(principal.subject, created.clientId)
      assert.equal(principal.issuer, `${publicUrl}/acme/oauth2`)
      assert.equal(principal.audience, created.resource)
      const env = await app.identity.listApplicationUsers({ tenant: 'acme', environment: 'prod' })
      assert.deepEqual(
        env.map((a) => a.clientId),
        [created.clientId],
      )
    }
    const envId = created.environmentId
    const caller = await app.identity.resolveCaller(
      envId,
      await app.identity.verifier.verify(basic.body.access_token ?? '', {
        tenantId: tenants['acme'] as TenantId,
        audience: created.resource,
      }),
    )
    const ids = await app.records.readProvisionedIds(envId)
    const { security, ...rest } = caller
    assert.deepEqual(rest, {
      systemUserId: created.applicationUserId,
      businessUnitId: ids.businessUnitId,
      roles: ['System Administrator'],
    })
    // The full security context: the role granted directly, the root BU's default team.
    assert.ok(security)
    assert.deepEqual(
      security.grants.map((g) => [g.roleId, g.anchor.kind]),
      [[ids.systemAdministratorRoleId, 'user']],
    )
    assert.deepEqual(
      security.teams.map((t) => t.businessUnitId),
      [ids.businessUnitId],
    )
    const user = await app.records.retrieveRecord(envId, 'systemuser', created.applicationUserId)
    assert.equal(user['applicationid'], created.clientId)
    assert.equal(user['accessmode'], 4)
    assert.equal(user['fullname'], 'Integration')

    // Another environment of the same tenant, and the other tenant, refuse the token.
    await assert.rejects(
      app.identity.verifier.verify(basic.body.access_token ?? '', {
        tenantId: tenants['acme'] as TenantId,
        audience: `${publicUrl}/acme/dev/`,
      }),
      { code: 'UNAUTHORIZED' },
    )
    await assert.rejects(
      app.identity.verifier.verify(basic.body.access_token ?? '', {
        tenantId: tenants['globex'] as TenantId,
        audience: `${publicUrl}/globex/prod/`,
      }),
      { code: 'UNAUTHORIZED' },
    )

    // The secret is nowhere under the data directory, in any encoding; only its hash is kept.
    assert.deepEqual(filesContaining(dir.path, secret), [])
    const row = await app.control.db
      .selectFrom('identity_clients')
      .select('secret_hash')
      .where('client_id', '=', created.clientId)
      .executeTakeFirstOrThrow()
    assert.match(row.secret_hash, /^scrypt\$16384\$8\$1\$/)
    assert.ok(!row.secret_hash.includes(secret))
    created.clientSecret.dispose()
  })

  it('refuses a wrong secret, a missing or foreign resource and another tenant', async () => {
    const created = await app.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'Refusals',
      role: 'Basic User',
    })
    const secret = new TextDecoder().decode(created.clientSecret.expose())
    const id = created.clientId
    const wrong = await tokenRequest(
      'acme',
      { grant_type: 'client_credentials', resource: created.resource },
      { id, secret: secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A') },
    )
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error, 'invalid_client')
    const wrongPost = await tokenRequest('acme', {
      grant_type: 'client_credentials',
      resource: created.resource,
      client_id: id,
      client_secret: 'nope',
    })
    assert.equal(wrongPost.status, 401)
    assert.equal(wrongPost.body.error, 'invalid_client')

    const auth = { id, secret }
    const noResource = await tokenRequest('acme', { grant_type: 'client_credentials' }, auth)
    assert.equal(noResource.body.error, 'invalid_target')
    for (const resource of [
      `${publicUrl}/acme/dev/`,
      `${publicUrl}/globex/prod/`,
      `${publicUrl}/acme/prod/extra/`,
      `${publicUrl}/acme/prod`,
      'https://elsewhere.example/acme/prod/',
    ]) {
      const r = await tokenRequest('acme', { grant_type: 'client_credentials', resource }, auth)
      assert.equal(r.status, 400, resource)
      assert.equal(r.body.error, 'invalid_target', resource)
    }
    // The client doesn't exist at the other tenant's issuer.
    const foreign = await tokenRequest(
      'globex',
      { grant_type: 'client_credentials', resource: `${publicUrl}/globex/prod/` },
      auth,
    )
    assert.equal(foreign.status, 401)
    assert.equal(foreign.body.error, 'invalid_client')

    await assert.rejects(
      app.identity.createApplicationUser({
        tenant: 'acme',
        environment: 'prod',
        name: 'x',
        role: 'Root',
      }),
      (e: { code?: string; message?: string }) =>
        e.code === 'VALIDATION' && /no security role 'Root'/.test(e.message ?? ''),
    )
    // Support User is service-only (dataverse-spec §3): not assignable, not even listed.
    await assert.rejects(
      app.identity.createApplicationUser({
        tenant: 'acme',
        environment: 'prod',
        name: 'x',
        role: 'Support User',
      }),
      (e: { code?: string; message?: string }) =>
        e.code === 'VALIDATION' &&
        /no security role 'Support User'/.test(e.message ?? '') &&
        !(e.message ?? '').split('Roles: ')[1]?.includes('Support User') &&
        /'Delegate'/.test(e.message ?? ''),
    )
    created.clientSecret.dispose()
  })

  it("refuses a deleted application's token at once", async () => {
    const created = await app.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'Short-lived',
      role: 'Basic User',
    })
    const secret = new TextDecoder().decode(created.clientSecret.expose())
    const auth = { id: created.clientId, secret }
    const r = await tokenRequest(
      'acme',
      { grant_type: 'client_credentials', resource: created.resource },
      auth,
    )
    const token = r.body.access_token ?? ''
    const expected = { tenantId: tenants['acme'] as TenantId, audience: created.resource }
    const principal = await app.identity.verifier.verify(token, expected)
    await app.identity.deleteApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      clientId: created.clientId,
    })
    await assert.rejects(app.identity.verifier.verify(token, expected), { code: 'UNAUTHORIZED' })
    await assert.rejects(app.identity.resolveCaller(created.environmentId, principal), {
      code: 'UNAUTHORIZED',
    })
    const again = await tokenRequest(
      'acme',
      { grant_type: 'client_credentials', resource: created.resource },
      auth,
    )
    assert.equal(again.body.error, 'invalid_client')
    await assert.rejects(
      app.identity.deleteApplicationUser({
        tenant: 'acme',
        environment: 'prod',
        clientId: created.clientId,
      }),
      { code: 'APPLICATION_NOT_FOUND' },
    )
    const user = await app.records.retrieveRecord(
      created.environmentId,
      'systemuser',
      created.applicationUserId,
    )
    assert.equal(user['isdisabled'], true)
    created.clientSecret.dispose()
  })

  it('an unknown tenant rejects before writing anything', async () => {
    const res = await fetch(`${local}/nobody/oauth2/.well-known/openid-configuration`)
    assert.equal(res.status, 404)
  })
})

describe('strongroom app create / list / delete', () => {
  const dir = tempDir('sr-app-cli-')
  const data = join(dir.path, 'data')
  before(async () => {
    await cliJson(data, ['init'])
    await cliJson(data, ['tenant', 'create', 'contoso'])
    await cliJson(data, ['env', 'create', 'prod', '--tenant', 'contoso'])
  })
  after(() => {
    dir.remove()
  })

  it('creates, lists and deletes an application user; the secret is printed once', async () => {
    const created = await cliJson<Record<string, string>>(data, [
      'app',
      'create',
      '--tenant',
      'contoso',
      '--env',
      'prod',
      '--name',
      'Nightly sync',
      '--role',
      'System Administrator',
    ])
    assert.deepEqual(Object.keys(created).sort(), [
      'applicationUserId',
      'clientId',
      'clientSecret',
      'issuer',
      'resource',
      'tokenEndpoint',
    ])
    assert.equal(created['issuer'], 'https://localhost:8443/contoso/oauth2')
    assert.equal(created['tokenEndpoint'], 'https://localhost:8443/contoso/oauth2/token')
    assert.equal(created['resource'], 'https://localhost:8443/contoso/prod/')
    assert.match(created['clientSecret'] ?? '', /^[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(filesContaining(dir.path, created['clientSecret'] ?? ''), [])

    const list = await cliJson<Record<string, string>[]>(data, [
      'app',
      'list',
      '--tenant',
      'contoso',
      '--env',
      'prod',
    ])
    assert.deepEqual(
      list.map((a) => [a['clientId'], a['name'], a['clientSecret']]),
      [[created['clientId'], 'Nightly sync', undefined]],
    )
    const human = await cli(data, ['app', 'list', '--tenant', 'contoso', '--env', 'prod'])
    assert.equal(human.code, 0)
    assert.ok(!human.stdout.includes(created['clientSecret'] ?? '-'))

    const bad = await cli(data, [
      ...['app', 'create', '--tenant', 'contoso', '--env', 'prod'],
      ...['--name', 'x', '--role', 'Nobody'],
    ])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /VALIDATION/)

    await cliJson(data, [
      ...['app', 'delete', created['clientId'] ?? '', '--tenant', 'contoso', '--env', 'prod'],
    ])
    const after = await cliJson<unknown[]>(data, [
      ...['app', 'list', '--tenant', 'contoso', '--env', 'prod'],
    ])
    assert.deepEqual(after, [])
    const missing = await cli(data, [
      ...['app', 'delete', created['clientId'] ?? '', '--tenant', 'contoso', '--env', 'prod'],
    ])
    assert.equal(missing.code, 3)
    assert.match(missing.stderr, /APPLICATION_NOT_FOUND/)
  })
})
