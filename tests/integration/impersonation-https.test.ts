import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import { predefinedRoleByName, privilegeIdOf, privilegeName } from '../../src/authz/index.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import type { EnvironmentId } from '../../src/shared/ids.ts'
import { fetchClientToken } from '../helpers/client-token.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'

type Row = Record<string, unknown>
interface Answer {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly json: Row
}

/**
 * Impersonation (dataverse-spec §3, docs/authz.md §8) over real HTTPS with application users:
 * `delegate` holds Delegate and a custom role with Organization Read/Write/Create on account;
 * `plain` holds that custom role only. `bianca` is an interactive Basic User (Basic depth on
 * account and contact), `ada` a System Administrator, `dora` a disabled Basic User. Role
 * changes are made from ANOTHER connection and must apply on the very next request.
 */
describe('impersonation over HTTPS (CallerObjectId, MSCRMCallerID)', () => {
  const dir = tempDir('sr-impersonation-')
  let server: Strongroom
  let running: RunningServer
  let other: Strongroom
  let env: EnvironmentId
  let ca = ''
  let system = ''
  const token: Record<string, string> = {}
  const id: Record<string, string> = {}
  const objectId: Record<string, string> = {}
  const roleId: Record<string, string> = {}

  const call = (
    who: string,
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: unknown } = {},
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const text =
        options.body === undefined
          ? undefined
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body)
      const req = request(
        `${running.baseUrl}/acme/prod/api/data/v9.2/${path}`,
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${token[who] ?? ''}`,
            ...(text === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
        },
        (res) => {
          let body = ''
          res.on('data', (d: Buffer) => (body += d.toString()))
          res.on('end', () => {
            let json: Row = {}
            try {
              json = JSON.parse(body) as Row
            } catch {
              // not JSON ($batch, empty)
            }
            resolve({ status: res.statusCode ?? 0, body, headers: res.headers, json })
          })
        },
      )
      req.on('error', reject)
      req.end(text)
    })
  const as = (user: string) => ({ MSCRMCallerID: id[user] ?? '' })
  const asAad = (user: string) => ({ CallerObjectId: objectId[user] ?? '' })
  const names = (a: Answer): string[] =>
    (a.json['value'] as Row[]).map((r) => String(r['name'])).sort()
  const errorOf = (a: Answer) => (a.json['error'] ?? {}) as { code?: string; message?: string }
  const actor = () => ({ actorId: system })

  before(async () => {
    server = await openApp(dir.path, { init: true })
    await createTenant(server.control, { name: 'acme', actor: 'test' })
    await createEnvironment(server.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    await createEnvironment(server.control, { tenant: 'acme', name: 'test', actor: 'test' })
    running = await startServer(server, testDeps, { host: '127.0.0.1', port: 0 })
    ca = readFileSync(running.caCertFile ?? '', 'utf8')
    other = await openApp(dir.path)
    env = (await findEnvironment(other.control, 'acme', 'prod')).id
    const ids = await other.records.readProvisionedIds(env)
    system = ids.systemUserId
    const create = (table: string, data: Row) =>
      other.records.createRecord(env, table, data, actor())
    const roles = await other.records.queryRecords(
      env,
      'role',
      { count: false, select: ['roleid', 'name'] },
      { limit: 100 },
    )
    for (const r of roles.records) roleId[String(r['name'])] = String(r['roleid'])
    roleId['Org accounts'] = await create('role', {
      name: 'Org accounts',
      businessunitid: ids.businessUnitId,
    })
    for (const right of ['Read', 'Write', 'Create'] as const) {
      await create('roleprivileges', {
        roleid: roleId['Org accounts'],
        privilegeid: privilegeIdOf(privilegeName(right, 'account')),
        privilegedepthmask: 8,
      })
    }
    for (const [name, extra] of [
      ['delegate', 'Org accounts'],
      ['plain', undefined],
    ] as const) {
      const app = await other.identity.createApplicationUser({
        tenant: 'acme',
        environment: 'prod',
        name,
        role: name === 'delegate' ? 'Delegate' : 'Org accounts',
      })
      id[name] = app.applicationUserId
      if (extra !== undefined) {
        id[`${name}-extra`] = await create('systemuserroles', {
          systemuserid: app.applicationUserId,
          roleid: roleId[extra],
        })
      }
      token[name] = await fetchClientToken({
        tokenEndpoint: app.tokenEndpoint.replace(/^https:\/\/localhost:\d+/, running.baseUrl),
        clientId: app.clientId,
        clientSecret: Buffer.from(app.clientSecret.expose()).toString(),
        resource: `${running.baseUrl}/acme/prod/`,
        ca,
      })
    }
    for (const [name, role, disabled] of [
      ['bianca', 'Basic User', false],
      ['ada', 'System Administrator', false],
      ['dora', 'Basic User', true],
      ['sam', 'Support User', false],
    ] as const) {
      objectId[name] = randomUUID()
      id[name] = await create('systemuser', {
        fullname: name,
        businessunitid: ids.businessUnitId,
        azureactivedirectoryobjectid: objectId[name],
        isdisabled: disabled,
      })
      // Written as the system: Support User is service-only (the domain functions refuse it).
      id[`${name}-role`] = await create('systemuserroles', {
        systemuserid: id[name],
        roleid: roleId[role],
      })
    }
    id['biancas'] = await create('account', { name: "Bianca's", ownerid: id['bianca'] })
    id['systems'] = await create('account', { name: "System's" })
    // A user of another environment of the same tenant.
    const testEnv = (await findEnvironment(other.control, 'acme', 'test')).id
    const testIds = await other.records.readProvisionedIds(testEnv)
    objectId['stranger'] = randomUUID()
    id['stranger'] = await other.records.createRecord(
      testEnv,
      'systemuser',
      {
        fullname: 'stranger',
        businessunitid: testIds.businessUnitId,
        azureactivedirectoryobjectid: objectId['stranger'],
        isdisabled: false,
      },
      { actorId: testIds.systemUserId },
    )
    await other.records.createRecord(
      testEnv,
      'systemuserroles',
      { systemuserid: id['stranger'], roleid: testIds.basicUserRoleId },
      { actorId: testIds.systemUserId },
    )
  })
  after(async () => {
    await running.stop()
    await other.close()
    await server.close()
    dir.remove()
  })

  it('a Delegate creates a record as a Basic User: owner and createdby are the user, createdonbehalfby the real caller', async () => {
    const created = await call('delegate', 'POST', 'accounts', {
      headers: as('bianca'),
      body: { name: 'By delegate' },
    })
    assert.equal(created.status, 204, created.body)
    const entity = String(created.headers['odata-entityid'])
    const newId = /\(([0-9a-f-]{36})\)$/.exec(entity)?.[1] ?? ''
    const row = await call(
      'delegate',
      'GET',
      `accounts(${newId})?$select=name,_ownerid_value,_createdby_value,_modifiedby_value,_createdonbehalfby_value,_modifiedonbehalfby_value`,
    )
    assert.equal(row.status, 200, row.body)
    assert.equal(row.json['_ownerid_value'], id['bianca'])
    assert.equal(row.json['_createdby_value'], id['bianca'])
    assert.equal(row.json['_modifiedby_value'], id['bianca'])
    assert.equal(row.json['_createdonbehalfby_value'], id['delegate'])
    assert.equal(row.json['_modifiedonbehalfby_value'], id['delegate'])
    // An update without impersonation: modifiedonbehalfby back to null.
    const patched = await call('delegate', 'PATCH', `accounts(${newId})`, {
      body: { name: 'By delegate' },
    })
    assert.equal(patched.status, 204, patched.body)
    const after = await call(
      'delegate',
      'GET',
      `accounts(${newId})?$select=_modifiedby_value,_modifiedonbehalfby_value,_createdonbehalfby_value`,
    )
    assert.equal(after.json['_modifiedby_value'], id['delegate'])
    assert.equal(after.json['_modifiedonbehalfby_value'], null)
    assert.equal(after.json['_createdonbehalfby_value'], id['delegate'])
    // Not impersonating: null.
    const own = await call('delegate', 'GET', `accounts(${id['systems'] ?? ''})`)
    assert.equal(own.json['_createdonbehalfby_value'], null)
  })

  it('WhoAmI answers the impersonated user (either header)', async () => {
    for (const headers of [as('bianca'), asAad('bianca')]) {
      const who = await call('delegate', 'GET', 'WhoAmI', { headers })
      assert.equal(who.status, 200, who.body)
      assert.equal(who.json['UserId'], id['bianca'])
    }
    const self = await call('delegate', 'GET', 'WhoAmI')
    assert.equal(self.json['UserId'], id['delegate'])
  })

  it('reads are the intersection: the Basic User’s own records, not the delegate’s reach', async () => {
    const wide = await call('delegate', 'GET', 'accounts?$select=name')
    assert.ok(names(wide).includes("System's"))
    const narrow = await call('delegate', 'GET', 'accounts?$select=name&$count=true', {
      headers: asAad('bianca'),
    })
    assert.equal(narrow.status, 200, narrow.body)
    assert.deepEqual(names(narrow), ["Bianca's", 'By delegate'])
    assert.equal(narrow.json['@odata.count'], 2)
    const hidden = await call('delegate', 'GET', `accounts(${id['systems'] ?? ''})`, {
      headers: as('bianca'),
    })
    assert.equal(hidden.status, 404)
    // The other way round: an administrator impersonated by the delegate reaches no further
    // than the delegate — the delegate has no privilege on contact.
    const contacts = await call('delegate', 'GET', 'contacts', { headers: as('ada') })
    assert.equal(contacts.status, 403, contacts.body)
    assert.equal(errorOf(contacts).code, '0x80040220')
    assert.match(
      errorOf(contacts).message ?? '',
      new RegExp(`${id['delegate'] ?? ''}.*prvReadcontact`),
    )
    const all = await call('delegate', 'GET', 'accounts?$select=name', { headers: as('ada') })
    assert.deepEqual(names(all), names(wide))
  })

  it('without prvActOnBehalfOfAnotherUser: 403 0x80040220 naming it, whoever is named', async () => {
    for (const headers of [as('bianca'), { MSCRMCallerID: randomUUID() }]) {
      const r = await call('plain', 'GET', 'accounts', { headers })
      assert.equal(r.status, 403, r.body)
      assert.equal(errorOf(r).code, '0x80040220')
      assert.match(errorOf(r).message ?? '', /prvActOnBehalfOfAnotherUser/)
      assert.match(errorOf(r).message ?? '', new RegExp(id['plain'] ?? ''))
    }
  })

  it('unknown, disabled, other-environment, SYSTEM and Support User targets: one answer', async () => {
    const answers = new Set<string>()
    for (const headers of [
      { MSCRMCallerID: randomUUID() },
      as('dora'),
      { MSCRMCallerID: id['stranger'] ?? '' },
      { MSCRMCallerID: system },
      as('sam'),
    ]) {
      const r = await call('delegate', 'GET', 'accounts', { headers })
      assert.equal(r.status, 400, r.body)
      assert.equal(errorOf(r).code, '0x80040203')
      answers.add(r.body)
    }
    assert.equal(answers.size, 1, [...answers].join('\n'))
    for (const headers of [{ CallerObjectId: randomUUID() }, asAad('dora'), asAad('stranger')]) {
      const r = await call('delegate', 'GET', 'accounts', { headers })
      assert.equal(r.status, 400, r.body)
      assert.match(errorOf(r).message ?? '', /CallerObjectId/)
      assert.doesNotMatch(r.body, /stranger|dora/)
    }
  })

  it('malformed headers and both headers at once: 400', async () => {
    for (const headers of [
      { MSCRMCallerID: 'not-a-guid' },
      { MSCRMCallerID: '' },
      { CallerObjectId: 'a'.repeat(200) },
      { CallerObjectId: `${id['bianca'] ?? ''}, ${id['ada'] ?? ''}` },
      { CallerObjectId: objectId['bianca'] ?? '', MSCRMCallerID: id['bianca'] ?? '' },
    ]) {
      const r = await call('delegate', 'GET', 'WhoAmI', { headers })
      assert.equal(r.status, 400, `${JSON.stringify(headers)}: ${r.body}`)
      assert.equal(errorOf(r).code, '0x80040203')
    }
    // Braces, upper case and spaces around a GUID are a GUID.
    const braced = await call('delegate', 'GET', 'WhoAmI', {
      headers: { MSCRMCallerID: ` {${(id['bianca'] ?? '').toUpperCase()}} ` },
    })
    assert.equal(braced.json['UserId'], id['bianca'])
  })

  it('$batch: the batch header applies to every part; a part may name its own user', async () => {
    const api = `${running.baseUrl}/acme/prod/api/data/v9.2/`
    const part = (headers: string[] = []) => [
      '--batch_1',
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      `GET ${api}WhoAmI HTTP/1.1`,
      ...headers,
      '',
      '',
    ]
    const body = [
      ...part(),
      ...part([`CallerObjectId: ${objectId['ada'] ?? ''}`]),
      ...part([`MSCRMCallerID: ${randomUUID()}`]),
      ...part([`MSCRMCallerID: ${id['delegate'] ?? ''}`]),
      '--batch_1--',
      '',
    ].join('\r\n')
    const r = await call('delegate', 'POST', '$batch', {
      headers: {
        ...as('bianca'),
        'content-type': 'multipart/mixed; boundary=batch_1',
        prefer: 'odata.continue-on-error',
      },
      body,
    })
    assert.equal(r.status, 200, r.body)
    const users = [...r.body.matchAll(/"UserId":"([0-9a-f-]{36})"/g)].map((m) => m[1])
    assert.deepEqual(users, [id['bianca'], id['ada'], id['delegate']])
    assert.match(r.body, /HTTP\/1\.1 400/)
    // A caller without the privilege gets nothing from a part either.
    const denied = await call('plain', 'POST', '$batch', {
      headers: {
        'content-type': 'multipart/mixed; boundary=batch_1',
        prefer: 'odata.continue-on-error',
      },
      body: [...part([`MSCRMCallerID: ${id['bianca'] ?? ''}`]), '--batch_1--', ''].join('\r\n'),
    })
    assert.match(denied.body, /HTTP\/1\.1 403/)
    assert.match(denied.body, /prvActOnBehalfOfAnotherUser/)
  })

  it('a role removed from either user takes effect on the next request', async () => {
    const read = () => call('delegate', 'GET', 'accounts?$select=name', { headers: as('bianca') })
    assert.equal((await read()).status, 200)
    // The delegate loses Delegate.
    const delegateRole = await other.records.queryRecords(
      env,
      'systemuserroles',
      { count: false, select: ['systemuserroleid'] },
      {
        where: (eb) =>
          eb.and([
            eb(eb.ref('systemuserid'), '=', id['delegate'] ?? ''),
            eb(eb.ref('roleid'), '=', roleId['Delegate'] ?? ''),
          ]),
      },
    )
    const assignment = String(delegateRole.records[0]?.['systemuserroleid'])
    await other.records.deleteRecord(env, 'systemuserroles', assignment, actor())
    const lost = await read()
    assert.equal(lost.status, 403, lost.body)
    assert.match(errorOf(lost).message ?? '', /prvActOnBehalfOfAnotherUser/)
    await other.records.createRecord(
      env,
      'systemuserroles',
      { systemuserid: id['delegate'], roleid: roleId['Delegate'] },
      actor(),
    )
    assert.equal((await read()).status, 200)
    // bianca loses Basic User: the impersonated request has no Read on account.
    await other.records.deleteRecord(env, 'systemuserroles', id['bianca-role'] ?? '', actor())
    const none = await read()
    assert.equal(none.status, 403, none.body)
    assert.match(errorOf(none).message ?? '', new RegExp(`${id['bianca'] ?? ''}.*prvReadaccount`))
    id['bianca-role'] = await other.records.createRecord(
      env,
      'systemuserroles',
      { systemuserid: id['bianca'], roleid: roleId['Basic User'] },
      actor(),
    )
    assert.equal((await read()).status, 200)
  })

  it('application users have an Entra object id and can be impersonated by it', async () => {
    const user = await other.records.retrieveRecord(env, 'systemuser', id['plain'] ?? '', {
      select: ['azureactivedirectoryobjectid'],
    })
    const oid = String(user['azureactivedirectoryobjectid'])
    assert.match(oid, /^[0-9a-f-]{36}$/)
    const who = await call('delegate', 'GET', 'WhoAmI', { headers: { CallerObjectId: oid } })
    assert.equal(who.json['UserId'], id['plain'])
  })

  it('DynamicsWebApi: impersonate and impersonateAAD request options', async () => {
    const child = spawn(process.execPath, [resolve('build/tests/helpers/dwa-impersonate.js')], {
      env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: running.caCertFile ?? '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdin.end(
      JSON.stringify({
        serverUrl: `${running.baseUrl}/acme/prod/`,
        accessToken: token['delegate'],
        userId: id['bianca'],
        objectId: objectId['bianca'],
      }),
    )
    const [code] = (await once(child, 'exit')) as [number | null]
    assert.equal(code, 0, stderr)
    const out = JSON.parse(stdout) as Record<
      string,
      { ok: boolean; value?: unknown; status?: number }
    >
    const ok = (name: string): unknown => {
      const r = out[name]
      assert.ok(r?.ok === true, `${name}: ${JSON.stringify(r)}`)
      return r.value
    }
    assert.equal((ok('whoAmI') as Row)['UserId'], id['bianca'])
    assert.equal((ok('whoAmIAad') as Row)['UserId'], id['bianca'])
    const created = ok('retrieve') as Row
    assert.equal(created['name'], 'Via DynamicsWebApi')
    assert.equal(created['_ownerid_value'], id['bianca'])
    assert.equal(created['_createdby_value'], id['bianca'])
    assert.equal(created['_createdonbehalfby_value'], id['delegate'])
    assert.deepEqual(ok('retrieveMultiple'), ["Bianca's", 'By delegate', 'Via DynamicsWebApi'])
    const refused = out['refused']
    assert.equal(refused?.ok, false)
    assert.equal(refused.status, 400)
  })

  it('a Delegate role alone impersonating itself is acting as itself', async () => {
    const who = await call('delegate', 'GET', 'WhoAmI', { headers: as('delegate') })
    assert.equal(who.json['UserId'], id['delegate'])
    assert.ok(predefinedRoleByName('Delegate') !== undefined)
  })
})
