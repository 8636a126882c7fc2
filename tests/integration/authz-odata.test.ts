import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Caller } from '../../src/api/context.ts'
import {
  grantAccess,
  loadSecurityContext,
  privilegeIdOf,
  privilegeName,
  securityRowsOf,
  type Depth,
  type Right,
} from '../../src/authz/index.ts'
import { odataFixture, WEB_API, type ODataFixture } from '../helpers/odata-fixture.ts'

type Row = Record<string, unknown>
const names = (json: Row): string[] =>
  (json['value'] as Row[]).map((r) => String(r['name'] ?? r['firstname'])).sort()

/**
 * The security model through the Web API (issue #5): a user whose only role comes through an
 * owner team (team privileges only) — Business Unit Read and User Write on accounts, User Read
 * on contacts — in a child business unit. Query, $count, retrieve, $expand and update all
 * follow the same decision; a share takes effect on the next request.
 */
describe('OData under the security model: team role, business unit depth, shares', () => {
  let f: ODataFixture
  let eve: Caller
  const id: Record<string, string> = {}

  const resolve = async (): Promise<Caller> => {
    const { security, roleNames } = await loadSecurityContext(
      securityRowsOf(f.app.records, f.env.id),
      { systemUserId: id['eve'] ?? '', businessUnitId: id['east'] ?? '' },
    )
    return {
      systemUserId: id['eve'] ?? '',
      businessUnitId: id['east'] ?? '',
      roles: roleNames,
      security,
    }
  }

  before(async () => {
    f = await odataFixture()
    const actor = { actorId: f.ids.systemUserId }
    const create = (table: string, data: Record<string, unknown>) =>
      f.app.records.createRecord(f.env.id, table, data, actor)
    id['east'] = await create('businessunit', {
      name: 'East',
      parentbusinessunitid: f.ids.businessUnitId,
    })
    for (const user of ['eve', 'max']) {
      id[user] = await create('systemuser', { fullname: user, businessunitid: id['east'] })
    }
    id['sales'] = await create('team', { name: 'Sales', teamtype: 0, businessunitid: id['east'] })
    await create('teammembership', { systemuserid: id['eve'], teamid: id['sales'] })
    id['role'] = await create('role', { name: 'East sales', businessunitid: id['east'] })
    const privileges: [Right, string, Depth][] = [
      ['Read', 'account', 2],
      ['Write', 'account', 1],
      ['Read', 'contact', 1],
    ]
    for (const [right, table, depth] of privileges) {
      await create('roleprivileges', {
        roleid: id['role'],
        privilegeid: privilegeIdOf(privilegeName(right, table)),
        privilegedepthmask: depth,
      })
    }
    await create('teamroles', { teamid: id['sales'], roleid: id['role'] })
    id['a_max'] = await create('account', { name: 'Max Co', ownerid: id['max'] })
    id['a_team'] = await create('account', { name: 'Team Co', ownerid: id['sales'] })
    id['a_root'] = await create('account', { name: 'Root Co' })
    await create('contact', {
      firstname: 'MaxContact',
      ownerid: id['max'],
      parentcustomerid: id['a_team'],
    })
    await create('contact', {
      firstname: 'TeamContact',
      ownerid: id['sales'],
      parentcustomerid: id['a_team'],
    })
    eve = await resolve()
  })
  after(async () => {
    await f.close()
  })

  it("query and $count: the team's business unit, nothing from the root unit", async () => {
    const res = await f.call('GET', 'accounts', {
      query: { $select: 'name', $count: 'true' },
      caller: eve,
    })
    assert.equal(res.status, 200)
    assert.deepEqual(names(res.json), ['Max Co', 'Team Co'])
    assert.equal(res.json['@odata.count'], 2)
    assert.equal((await f.call('GET', 'accounts/$count', { caller: eve })).body, '2')
  })

  it('retrieve: a record in another business unit is 404, as if it did not exist', async () => {
    const hidden = await f.call('GET', `accounts(${id['a_root'] ?? ''})`, { caller: eve })
    assert.equal(hidden.status, 404)
    assert.equal(hidden.error?.code, '0x80040217')
  })

  it('$expand: each expanded row is checked (contacts at User depth: team-owned only)', async () => {
    const res = await f.call('GET', `accounts(${id['a_team'] ?? ''})`, {
      query: { $select: 'name', $expand: 'contact_parentcustomerid($select=firstname)' },
      caller: eve,
    })
    assert.equal(res.status, 200)
    assert.deepEqual(
      (res.json['contact_parentcustomerid'] as Row[]).map((c) => c['firstname']),
      ['TeamContact'],
    )
  })

  it('update: the team-owned record yes; a readable one without Write is 403 0x80048306', async () => {
    const own = await f.call('PATCH', `accounts(${id['a_team'] ?? ''})`, {
      body: { name: 'Team Co 2' },
      headers: { 'If-Match': '*' },
      caller: eve,
    })
    assert.equal(own.status, 204)
    const readable = await f.call('PATCH', `accounts(${id['a_max'] ?? ''})`, {
      body: { name: 'x' },
      headers: { 'If-Match': '*' },
      caller: eve,
    })
    assert.equal(readable.status, 403)
    assert.equal(readable.error?.code, '0x80048306')
    const hidden = await f.call('PATCH', `accounts(${id['a_root'] ?? ''})`, {
      body: { name: 'x' },
      headers: { 'If-Match': '*' },
      caller: eve,
    })
    assert.equal(hidden.status, 404)
  })

  it('a share takes effect on the next request', async () => {
    await grantAccess(
      { records: f.app.records, env: f.env.id },
      f.admin,
      'account',
      id['a_root'] ?? '',
      { principalId: id['eve'] ?? '', principalType: 'systemuser', accessMask: 1 },
    )
    eve = await resolve()
    const res = await f.call('GET', 'accounts', { query: { $select: 'name' }, caller: eve })
    assert.deepEqual(names(res.json), ['Max Co', 'Root Co', 'Team Co 2'])
  })

  it('GrantAccess, ModifyAccess and RevokeAccess through the Web API', async () => {
    const target = { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: id['a_root'] }
    const eveRef = { '@odata.type': 'Microsoft.Dynamics.CRM.systemuser', systemuserid: id['eve'] }
    const revoke = await f.call('POST', 'RevokeAccess', {
      body: { Target: target, Revokee: eveRef },
    })
    assert.equal(revoke.status, 204)
    eve = await resolve()
    const visible = async () =>
      names((await f.call('GET', 'accounts', { query: { $select: 'name' }, caller: eve })).json)
    assert.deepEqual(await visible(), ['Max Co', 'Team Co 2'])
    const grant = await f.call('POST', 'GrantAccess', {
      body: { Target: target, PrincipalAccess: { Principal: eveRef, AccessMask: 'ReadAccess' } },
    })
    assert.equal(grant.status, 204)
    assert.deepEqual(await visible(), ['Max Co', 'Root Co', 'Team Co 2'])
    // Read only: a write is refused as readable-but-not-writable.
    const write = await f.call('PATCH', `accounts(${id['a_root'] ?? ''})`, {
      body: { name: 'x' },
      headers: { 'If-Match': '*' },
      caller: eve,
    })
    assert.equal(write.error?.code, '0x80048306')
    const modify = await f.call('POST', 'ModifyAccess', {
      body: {
        Target: target,
        PrincipalAccess: { Principal: eveRef, AccessMask: 'ReadAccess, WriteAccess' },
      },
    })
    assert.equal(modify.status, 204)
    const written = await f.call('PATCH', `accounts(${id['a_root'] ?? ''})`, {
      body: { name: 'Root Co' },
      headers: { 'If-Match': '*' },
      caller: eve,
    })
    assert.equal(written.status, 204)
    // eve holds no Share privilege at all: she can't pass it on (privilege check first).
    const reshare = await f.call('POST', 'GrantAccess', {
      caller: eve,
      body: {
        Target: target,
        PrincipalAccess: {
          Principal: {
            '@odata.type': 'Microsoft.Dynamics.CRM.systemuser',
            systemuserid: id['max'],
          },
          AccessMask: 'ReadAccess',
        },
      },
    })
    assert.equal(reshare.status, 403)
    assert.equal(reshare.error?.code, '0x80040220')
    assert.match(reshare.error.message, /missing prvShareaccount privilege/)
    // RetrieveSharedPrincipalsAndAccess with a parameter alias, as Dataverse documents it.
    const shared = await f.call('GET', 'RetrieveSharedPrincipalsAndAccess(Target=@tid)', {
      query: { '@tid': `{'@odata.id':'accounts(${id['a_root'] ?? ''})'}` },
    })
    assert.equal(shared.status, 200)
    assert.deepEqual(shared.json['PrincipalAccesses'], [
      {
        AccessMask: 'ReadAccess, WriteAccess',
        Principal: { '@odata.type': '#Microsoft.Dynamics.CRM.systemuser', ownerid: id['eve'] },
      },
    ])
    // A record the caller can't see: 404, as for any hidden record.
    const hidden = await f.app.records.createRecord(
      f.env.id,
      'account',
      { name: 'Hidden Co' },
      { actorId: f.ids.systemUserId },
    )
    const hiddenShares = await f.call('GET', 'RetrieveSharedPrincipalsAndAccess(Target=@tid)', {
      query: { '@tid': `{"@odata.id":"${WEB_API}accounts(${hidden})"}` },
      caller: eve,
    })
    assert.equal(hiddenShares.status, 404)
    await f.app.records.deleteRecord(f.env.id, 'account', hidden, { actorId: f.ids.systemUserId })
    const badTarget = await f.call('GET', 'RetrieveSharedPrincipalsAndAccess(Target=@tid)', {
      query: { '@tid': "{'@odata.id':'accounts(nope)'}" },
    })
    assert.equal(badTarget.status, 400)
    const bad = await f.call('POST', 'GrantAccess', {
      body: { Target: target, PrincipalAccess: { Principal: eveRef, AccessMask: 'ReadAcess' } },
    })
    assert.equal(bad.status, 400)
    assert.equal((await f.call('GET', 'GrantAccess')).status, 405)
  })

  it('a privilege held at no depth is 403 0x80040220 naming it', async () => {
    const res = await f.call('GET', 'teams', { caller: eve })
    assert.equal(res.status, 403)
    assert.equal(res.error?.code, '0x80040220')
    assert.match(res.error.message, /missing prvReadteam privilege/)
  })
})
