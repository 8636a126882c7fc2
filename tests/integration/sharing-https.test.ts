import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cli, tempDir } from '../helpers/cli.ts'
import { startHttpsWorld, type HttpsWorld } from '../helpers/https-world.ts'

type Json = Record<string, unknown>

/**
 * Sharing end to end over HTTPS (docs/authz.md §14): sharetopreviousowneronassign set through
 * `PATCH organizations(<id>)` and the CLI, share cascades to contacts, and RetrievePrincipalAccess
 * bound to a team.
 */
describe('sharing over HTTPS: share to previous owner, cascades, team principals', () => {
  const dir = tempDir('sr-sharing-')
  let w: HttpsWorld
  let token: Record<string, string> = {}
  let user: Readonly<Record<string, string>> = {}
  const env = ['--tenant', 'acme', '--env', 'prod']
  let organizationId = ''

  const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    w.send(method, url, headers, body)
  const api = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await send(
      method,
      `${w.webApi}${path}`,
      {
        authorization: `Bearer ${token[who] ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' ? { prefer: 'return=representation' } : {}),
      },
      body === undefined ? undefined : JSON.stringify(body),
    )
    return {
      status: res.status,
      body: res.body,
      json: (res.body === '' ? {} : JSON.parse(res.body)) as Json,
    }
  }
  const create = async (who: string, set: string, body: Json): Promise<string> => {
    const res = await api(who, 'POST', set, body)
    assert.equal(res.status, 201, res.body)
    return String(res.json[`${set.slice(0, -1)}id`])
  }
  const target = (table: string, id: string): Json => ({
    '@odata.type': `Microsoft.Dynamics.CRM.${table}`,
    [`${table}id`]: id,
  })
  const grant = (who: string, to: Json, principal: Json, mask: string) =>
    api(who, 'POST', 'GrantAccess', {
      Target: to,
      PrincipalAccess: { Principal: principal, AccessMask: mask },
    })

  before(async () => {
    w = await startHttpsWorld(dir.path, [
      ['admin', 'System Administrator'],
      ['seller', 'Basic User'],
      ['other', 'Basic User'],
    ])
    token = w.token
    user = w.user
    const org = await api('admin', 'GET', 'organizations?$select=sharetopreviousowneronassign')
    const row = (org.json['value'] as Json[])[0] ?? {}
    organizationId = String(row['organizationid'])
    assert.equal(row['sharetopreviousowneronassign'], false)
  })
  after(async () => {
    await w.stop()
    dir.remove()
  })

  it('sharetopreviousowneronassign: off, the previous owner loses the record; on (PATCH organizations), it keeps a full share', async () => {
    const refused = await api('seller', 'PATCH', `organizations(${organizationId})`, {
      sharetopreviousowneronassign: true,
    })
    assert.equal(refused.status, 403)
    const before = await create('seller', 'accounts', { name: 'Before' })
    const assign = (id: string) =>
      api('admin', 'PATCH', `accounts(${id})`, {
        'ownerid@odata.bind': `/systemusers(${user['other'] ?? ''})`,
      })
    assert.equal((await assign(before)).status, 204)
    assert.equal((await api('seller', 'GET', `accounts(${before})?$select=name`)).status, 404)

    const on = await api('admin', 'PATCH', `organizations(${organizationId})`, {
      sharetopreviousowneronassign: true,
    })
    assert.equal(on.status, 204, on.body)
    const after = await create('seller', 'accounts', { name: 'After' })
    assert.equal((await assign(after)).status, 204)
    assert.equal((await api('seller', 'GET', `accounts(${after})?$select=name`)).status, 200)
    // The share carries every right but Create: the previous owner may still write and share.
    const write = await api('seller', 'PATCH', `accounts(${after})`, { telephone1: '555' })
    assert.equal(write.status, 204, write.body)
    const access = await api(
      'admin',
      'GET',
      `systemusers(${user['seller'] ?? ''})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)?@tid={'@odata.id':'accounts(${after})'}`,
    )
    assert.equal(
      access.json['AccessRights'],
      'ReadAccess, WriteAccess, AppendAccess, AppendToAccess, DeleteAccess, ShareAccess, AssignAccess',
    )
    // Turned off again with the CLI (another connection): the next Assign shares nothing.
    const off = await cli(dir.path, [
      'record',
      'update',
      'organization',
      organizationId,
      '--data',
      '{"sharetopreviousowneronassign":false}',
      ...env,
    ])
    assert.equal(off.code, 0, off.stderr)
    const last = await create('seller', 'accounts', { name: 'Last' })
    assert.equal((await assign(last)).status, 204)
    assert.equal((await api('seller', 'GET', `accounts(${last})?$select=name`)).status, 404)
  })

  it('GrantAccess on an account reaches its contacts; RevokeAccess takes it back; a direct share stays', async () => {
    const acct = await create('seller', 'accounts', { name: 'Parent Co' })
    const child = await create('seller', 'contacts', {
      lastname: 'Child',
      'parentcustomerid_account@odata.bind': `/accounts(${acct})`,
    })
    const other = {
      '@odata.type': 'Microsoft.Dynamics.CRM.systemuser',
      systemuserid: user['other'],
    }
    assert.equal((await api('other', 'GET', `contacts(${child})?$select=lastname`)).status, 404)
    const granted = await grant('seller', target('account', acct), other, 'ReadAccess')
    assert.equal(granted.status, 204, granted.body)
    assert.equal((await api('other', 'GET', `contacts(${child})?$select=lastname`)).status, 200)
    const listed = await api(
      'other',
      'GET',
      "contacts?$select=lastname&$filter=lastname eq 'Child'",
    )
    assert.equal((listed.json['value'] as Json[]).length, 1)
    // A contact created under the shared account afterwards inherits the share too.
    const later = await create('seller', 'contacts', {
      lastname: 'Later',
      'parentcustomerid_account@odata.bind': `/accounts(${acct})`,
    })
    assert.equal((await api('other', 'GET', `contacts(${later})?$select=lastname`)).status, 200)
    await grant('seller', target('contact', later), other, 'ReadAccess')
    const revoked = await api('seller', 'POST', 'RevokeAccess', {
      Target: target('account', acct),
      Revokee: other,
    })
    assert.equal(revoked.status, 204, revoked.body)
    assert.equal((await api('other', 'GET', `contacts(${child})?$select=lastname`)).status, 404)
    assert.equal((await api('other', 'GET', `contacts(${later})?$select=lastname`)).status, 200)
  })

  it('RetrievePrincipalAccess bound to a team: its own roles and shares', async () => {
    const acct = await create('seller', 'accounts', { name: 'Team target' })
    const teams = await api('admin', 'GET', 'teams?$select=name&$filter=isdefault eq true')
    const teamId = String(((teams.json['value'] as Json[])[0] ?? {})['teamid'])
    const path = (id: string) =>
      `teams(${id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)?@tid={'@odata.id':'accounts(${acct})'}`
    const none = await api('admin', 'GET', path(teamId))
    assert.equal(none.status, 200, none.body)
    // The default team holds no role and no share: its members' roles don't count.
    assert.equal(none.json['AccessRights'], 'None')
    const team = { '@odata.type': 'Microsoft.Dynamics.CRM.team', teamid: teamId }
    assert.equal(
      (await grant('seller', target('account', acct), team, 'ReadAccess, WriteAccess')).status,
      204,
    )
    const shared = await api('admin', 'GET', path(teamId))
    assert.equal(shared.json['AccessRights'], 'ReadAccess, WriteAccess')
    // With a role: Basic User on the team adds what the team owns; this account isn't its.
    const role = await api('admin', 'GET', "roles?$select=name&$filter=name eq 'Basic User'")
    const roleId = String(((role.json['value'] as Json[])[0] ?? {})['roleid'])
    const assigned = await api('admin', 'POST', `teams(${teamId})/teamroles_association/$ref`, {
      '@odata.id': `${w.webApi}roles(${roleId})`,
    })
    assert.equal(assigned.status, 204, assigned.body)
    assert.equal(
      (await api('admin', 'GET', path(teamId))).json['AccessRights'],
      'ReadAccess, WriteAccess',
    )
    const owned = await api('admin', 'PATCH', `accounts(${acct})`, {
      'ownerid@odata.bind': `/teams(${teamId})`,
    })
    assert.equal(owned.status, 204, owned.body)
    assert.equal(
      (await api('admin', 'GET', path(teamId))).json['AccessRights'],
      'ReadAccess, WriteAccess, AppendAccess, AppendToAccess, CreateAccess, DeleteAccess, ShareAccess, AssignAccess',
    )
    const unknown = await api('admin', 'GET', path('00000000-0000-0000-0000-000000000001'))
    assert.equal(unknown.status, 400)
    const onRole = await api(
      'admin',
      'GET',
      `roles(${roleId})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)?@tid={'@odata.id':'accounts(${acct})'}`,
    )
    assert.equal(onRole.status, 404)
  })
})
