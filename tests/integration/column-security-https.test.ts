import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import type { EnvironmentId } from '../../src/shared/ids.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'
import { fetchClientToken } from '../helpers/client-token.ts'

// Column security over real HTTPS with an application user (Basic User): the caller is
// resolved and cached by the server, and every change is made from ANOTHER connection (as the
// CLI or another node would): it must take effect on the very next request.
describe('column security over HTTPS, with the caller cache', () => {
  const dir = tempDir('sr-colsec-')
  let server: Strongroom
  let running: RunningServer
  let other: Strongroom
  let env: EnvironmentId
  let ca = ''
  let token = ''
  let userId = ''
  let accountId = ''
  let system = ''

  const call = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${running.baseUrl}/acme/prod/api/data/v9.2/${path}`,
        { method: 'GET', ca, headers: { authorization: `Bearer ${token}`, ...headers } },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text })
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
  const accountNumber = async (): Promise<unknown> => {
    const r = await call(`accounts(${accountId})?$select=name,accountnumber`)
    assert.equal(r.status, 200, r.body)
    return (JSON.parse(r.body) as Record<string, unknown>)['accountnumber']
  }

  before(async () => {
    server = await openApp(dir.path, { init: true })
    await createTenant(server.control, { name: 'acme', actor: 'test' })
    await createEnvironment(server.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    running = await startServer(server, testDeps, { host: '127.0.0.1', port: 0 })
    ca = readFileSync(running.caCertFile ?? '', 'utf8')
    other = await openApp(dir.path)
    env = (await findEnvironment(other.control, 'acme', 'prod')).id
    system = (await other.records.readProvisionedIds(env)).systemUserId
    const app = await other.identity.createApplicationUser({
      tenant: 'acme',
      environment: 'prod',
      name: 'reader',
      role: 'Basic User',
    })
    userId = app.applicationUserId
    const secret = Buffer.from(app.clientSecret.expose()).toString()
    token = await fetchClientToken({
      tokenEndpoint: app.tokenEndpoint.replace(/^https:\/\/localhost:\d+/, running.baseUrl),
      clientId: app.clientId,
      clientSecret: secret,
      resource: `${running.baseUrl}/acme/prod/`,
      ca,
    })
    accountId = await other.records.createRecord(
      env,
      'account',
      { name: 'Mine', accountnumber: 'HTTPS-SECRET', ownerid: userId },
      { actorId: system },
    )
  })
  after(async () => {
    await running.stop()
    await other.close()
    await server.close()
    dir.remove()
  })

  it('securing, granting and revoking take effect on the next request', async () => {
    assert.equal(await accountNumber(), 'HTTPS-SECRET')
    await other.records.setColumnSecured(env, 'account', 'accountnumber', true)
    assert.equal(await accountNumber(), null)
    assert.equal(await accountNumber(), null) // the caller is cached now
    const actor = { actorId: system }
    const profile = await other.records.createRecord(
      env,
      'fieldsecurityprofile',
      { name: 'Readers' },
      actor,
    )
    await other.records.createRecord(
      env,
      'fieldpermission',
      {
        fieldsecurityprofileid: profile,
        entityname: 'account',
        attributelogicalname: 'accountnumber',
        canread: 4,
        cancreate: 0,
        canupdate: 0,
      },
      actor,
    )
    assert.equal(await accountNumber(), null, 'a profile without members grants nothing')
    const member = await other.records.createRecord(
      env,
      'systemuserprofiles',
      { systemuserid: userId, fieldsecurityprofileid: profile },
      actor,
    )
    assert.equal(await accountNumber(), 'HTTPS-SECRET')
    await other.records.deleteRecord(env, 'systemuserprofiles', member, actor)
    assert.equal(await accountNumber(), null)
  })

  it('probing filters are refused with the Dataverse error body, echoing no value', async () => {
    const r = await call(
      `accounts?$filter=${encodeURIComponent("accountnumber eq 'HTTPS-SECRET'")}`,
    )
    assert.equal(r.status, 403)
    const body = JSON.parse(r.body) as { error: { code: string; message: string } }
    assert.equal(body.error.code, '0x8004f507')
    assert.doesNotMatch(r.body, /HTTPS-SECRET/)
    assert.match(body.error.message, /account\.accountnumber/)
  })

  it('impersonation without prvActOnBehalfOfAnotherUser is refused, never a bypass', async () => {
    for (const header of ['MSCRMCallerID', 'CallerObjectId']) {
      const r = await call(`accounts(${accountId})?$select=accountnumber`, { [header]: system })
      assert.equal(r.status, 403, r.body)
      assert.match(r.body, /prvActOnBehalfOfAnotherUser/)
      assert.doesNotMatch(r.body, /HTTPS-SECRET/)
    }
  })
})
