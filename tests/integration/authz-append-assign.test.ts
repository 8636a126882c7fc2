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
import type { RecordsService } from '../../src/records/index.ts'
import type { EnvironmentId } from '../../src/shared/ids.ts'
import { openBatchFixture, type BatchFixture } from '../helpers/batch-fixture.ts'
import { entityIdOf, odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

type Row = Record<string, unknown>

/** A caller resolved the way the server resolves it (full security context). */
async function callerOf(
  records: RecordsService,
  env: EnvironmentId,
  systemUserId: string,
  businessUnitId: string,
): Promise<Caller> {
  const { security, roleNames } = await loadSecurityContext(securityRowsOf(records, env), {
    systemUserId,
    businessUnitId,
  })
  return { systemUserId, businessUnitId, roles: roleNames, security }
}

/**
 * Append / Append To on every way a lookup is set (docs/authz.md §6, dataverse-spec §3), and
 * Assign (an ownerid change). ann (business unit East) holds, directly: account Create, Append,
 * Append To, Assign at User depth, Read and Write at Business Unit depth; contact Create, Read
 * (BU), Write, Append at User depth and no Append To at all; users at Organization depth (the
 * new owner must be visible). cal holds account Read, Write and
 * Append To at Organization depth but no Append and no Assign.
 */
describe('Append, Append To and Assign through the Web API', () => {
  let f: ODataFixture
  const id: Record<string, string> = {}
  let ann: Caller
  let cal: Caller
  const key = (name: string): string => id[name] ?? ''

  before(async () => {
    f = await odataFixture()
    const actor = { actorId: f.ids.systemUserId }
    const create = (table: string, data: Row) =>
      f.app.records.createRecord(f.env.id, table, data, actor)
    id['east'] = await create('businessunit', {
      name: 'East',
      parentbusinessunitid: f.ids.businessUnitId,
    })
    for (const user of ['ann', 'bob', 'cal']) {
      id[user] = await create('systemuser', { fullname: user, businessunitid: key('east') })
    }
    const role = async (name: string, privileges: [Right, string, Depth][]) => {
      const roleId = await create('role', { name, businessunitid: key('east') })
      for (const [right, table, depth] of privileges) {
        await create('roleprivileges', {
          roleid: roleId,
          privilegeid: privilegeIdOf(privilegeName(right, table)),
          privilegedepthmask: depth,
        })
      }
      return roleId
    }
    const sales = await role('Sales', [
      ['Create', 'account', 1],
      ['Read', 'account', 2],
      ['Write', 'account', 2],
      ['Append', 'account', 1],
      ['AppendTo', 'account', 1],
      ['Assign', 'account', 1],
      ['Create', 'contact', 1],
      ['Read', 'contact', 2],
      ['Write', 'contact', 1],
      ['Append', 'contact', 1],
      ['Read', 'systemuser', 8],
    ])
    const editor = await role('Editor', [
      ['Create', 'account', 8],
      ['Read', 'account', 8],
      ['Write', 'account', 8],
      ['AppendTo', 'account', 8],
      ['Read', 'systemuser', 8],
    ])
    await create('systemuserroles', { systemuserid: key('ann'), roleid: sales })
    await create('systemuserroles', { systemuserid: key('cal'), roleid: editor })
    id['acc_ann'] = await create('account', { name: 'Ann Co', ownerid: key('ann') })
    id['acc_ann2'] = await create('account', { name: 'Ann Two', ownerid: key('ann') })
    id['acc_bob'] = await create('account', { name: 'Bob Co', ownerid: key('bob') })
    id['acc_root'] = await create('account', { name: 'Root Co' })
    id['con_ann'] = await create('contact', { firstname: 'Ann', ownerid: key('ann') })
    ann = await callerOf(f.app.records, f.env.id, key('ann'), key('east'))
    cal = await callerOf(f.app.records, f.env.id, key('cal'), key('east'))
  })
  after(async () => {
    await f.close()
  })

  const patch = (caller: Caller, path: string, body: Row) =>
    f.call('PATCH', path, { body, headers: { 'If-Match': '*' }, caller })
  const parentOf = async (account: string): Promise<unknown> =>
    (await f.app.records.retrieveRecord(f.env.id, 'account', account))['parentaccountid']

  it('binding to a record with Append on it and Append To on the target: 204', async () => {
    const res = await patch(ann, `accounts(${key('acc_ann')})`, {
      'parentaccountid@odata.bind': `/accounts(${key('acc_ann2')})`,
    })
    assert.equal(res.status, 204)
    assert.equal(await parentOf(key('acc_ann')), key('acc_ann2'))
  })

  it('a readable target without Append To is 403 0x80048306 naming AppendToAccess', async () => {
    const res = await patch(ann, `accounts(${key('acc_ann')})`, {
      'parentaccountid@odata.bind': `/accounts(${key('acc_bob')})`,
    })
    assert.equal(res.status, 403)
    assert.equal(res.error?.code, '0x80048306')
    assert.match(res.error.message, /does not have AppendToAccess right\(s\) for this account/)
    assert.equal(await parentOf(key('acc_ann')), key('acc_ann2'))
  })

  it('a target the caller cannot read is refused as if it did not exist', async () => {
    const hidden = await patch(ann, `accounts(${key('acc_ann')})`, {
      'parentaccountid@odata.bind': `/accounts(${key('acc_root')})`,
    })
    const missing = await patch(ann, `accounts(${key('acc_ann')})`, {
      'parentaccountid@odata.bind': '/accounts(00000000-0000-4000-8000-00000000abcd)',
    })
    assert.equal(hidden.status, 400)
    assert.deepEqual(hidden.error, missing.error)
  })

  it('a writable record without Append on it is 403 naming AppendAccess', async () => {
    // Write at Business Unit depth reaches bob's account; Append at User depth does not.
    const plain = await patch(ann, `accounts(${key('acc_bob')})`, { name: 'Bob Co' })
    assert.equal(plain.status, 204)
    const res = await patch(ann, `accounts(${key('acc_bob')})`, {
      'parentaccountid@odata.bind': `/accounts(${key('acc_ann')})`,
    })
    assert.equal(res.status, 403)
    assert.equal(res.error?.code, '0x80048306')
    assert.match(res.error.message, /does not have AppendAccess right\(s\)/)
    // Clearing a lookup needs Write only.
    const cleared = await f.call('DELETE', `accounts(${key('acc_bob')})/parentaccountid/$ref`, {
      caller: ann,
    })
    assert.equal(cleared.status, 204)
  })

  it('a privilege held at no depth is 403 0x80040220 naming it', async () => {
    const appendTo = await patch(ann, `accounts(${key('acc_ann')})`, {
      'primarycontactid@odata.bind': `/contacts(${key('con_ann')})`,
    })
    assert.equal(appendTo.status, 403)
    assert.equal(appendTo.error?.code, '0x80040220')
    assert.match(appendTo.error.message, /missing prvAppendTocontact privilege/)
    const append = await patch(cal, `accounts(${key('acc_bob')})`, {
      'parentaccountid@odata.bind': `/accounts(${key('acc_root')})`,
    })
    assert.equal(append.status, 403)
    assert.match(append.error?.message ?? '', /missing prvAppendaccount privilege/)
  })

  it('PUT $ref follows the same rules', async () => {
    const ref = (record: string, target: string) =>
      f.call('PUT', `accounts(${key(record)})/parentaccountid/$ref`, {
        body: { '@odata.id': `accounts(${key(target)})` },
        caller: ann,
      })
    assert.equal((await ref('acc_ann2', 'acc_ann')).status, 204)
    const noAppend = await ref('acc_bob', 'acc_ann')
    assert.equal(noAppend.status, 403)
    assert.match(noAppend.error?.message ?? '', /AppendAccess/)
    const noAppendTo = await ref('acc_ann', 'acc_bob')
    assert.equal(noAppendTo.status, 403)
    assert.match(noAppendTo.error?.message ?? '', /AppendToAccess/)
  })

  it('create: Append To on the bound record is checked before anything is written', async () => {
    const ok = await f.call('POST', 'contacts', {
      body: {
        firstname: 'Child',
        'parentcustomerid_account@odata.bind': `/accounts(${key('acc_ann')})`,
      },
      caller: ann,
    })
    assert.equal(ok.status, 204)
    const child = await f.app.records.retrieveRecord(f.env.id, 'contact', entityIdOf(ok))
    assert.equal(child['parentcustomerid'], key('acc_ann'))
    const refused = await f.call('POST', 'contacts', {
      body: {
        firstname: 'Orphan',
        'parentcustomerid_account@odata.bind': `/accounts(${key('acc_bob')})`,
      },
      caller: ann,
    })
    assert.equal(refused.status, 403)
    assert.match(refused.error?.message ?? '', /AppendToAccess/)
    const all = await f.call('GET', 'contacts', { query: { $select: 'firstname' } })
    assert.ok(!(all.json['value'] as Row[]).some((c) => c['firstname'] === 'Orphan'))
  })

  it('Assign: ownerid changes with the Assign right; the business unit follows the owner', async () => {
    const given = await patch(ann, `accounts(${key('acc_ann2')})`, {
      'ownerid@odata.bind': `/systemusers(${key('bob')})`,
    })
    assert.equal(given.status, 204)
    const moved = await f.app.records.retrieveRecord(f.env.id, 'account', key('acc_ann2'))
    assert.equal(moved['ownerid'], key('bob'))
    assert.equal(moved['owningbusinessunit'], key('east'))
    // Assign at User depth: bob's record is not ann's to give away (though she may write it).
    const taken = await patch(ann, `accounts(${key('acc_bob')})`, {
      'ownerid@odata.bind': `/systemusers(${key('ann')})`,
    })
    assert.equal(taken.status, 403)
    assert.match(taken.error?.message ?? '', /does not have AssignAccess right\(s\)/)
    const none = await patch(cal, `accounts(${key('acc_bob')})`, {
      'ownerid@odata.bind': `/systemusers(${key('cal')})`,
    })
    assert.equal(none.status, 403)
    assert.match(none.error?.message ?? '', /missing prvAssignaccount privilege/)
    // The new owner must be a user or a team.
    const notPrincipal = await patch(f.admin, `accounts(${key('acc_root')})`, {
      'ownerid@odata.bind': `/accounts(${key('acc_ann')})`,
    })
    assert.equal(notPrincipal.status, 400)
  })

  it('RetrievePrincipalAccess bound to a user, and the operations in $metadata', async () => {
    const path = `systemusers(${key('ann')})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)`
    const res = await f.call('GET', path, {
      query: { '@tid': `{'@odata.id':'contacts(${key('con_ann')})'}` },
    })
    assert.equal(res.status, 200)
    assert.match(
      String(res.json['@odata.context']),
      /\$metadata#Microsoft\.Dynamics\.CRM\.RetrievePrincipalAccessResponse$/,
    )
    // Her own contact: Create, Read, Write, Append at User depth; no Append To, Delete, Share.
    assert.equal(res.json['AccessRights'], 'ReadAccess, WriteAccess, AppendAccess, CreateAccess')
    const onTeam = await f.call(
      'GET',
      `teams(${f.ids.defaultTeamId})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)`,
      { query: { '@tid': `{'@odata.id':'contacts(${key('con_ann')})'}` } },
    )
    // Bound to a team (docs/authz.md §14): the root default team holds no role and no share.
    assert.equal(onTeam.status, 200)
    assert.equal(onTeam.json['AccessRights'], 'None')
    const post = await f.call('POST', path, {
      query: { '@tid': `{'@odata.id':'contacts(${key('con_ann')})'}` },
    })
    assert.equal(post.status, 405)
    const xml = String((await f.call('GET', '$metadata')).body)
    assert.match(xml, /<EnumType Name="AccessRights" UnderlyingType="Edm.Int32" IsFlags="true">/)
    assert.match(xml, /<Member Name="AssignAccess" Value="524288"\/>/)
    assert.match(xml, /<Function Name="RetrievePrincipalAccess" IsBound="true">/)
    for (const name of ['GrantAccess', 'ModifyAccess', 'RevokeAccess']) {
      assert.match(xml, new RegExp(`<ActionImport Name="${name}" Action="mscrm.${name}"/>`))
    }
    assert.match(xml, /<FunctionImport Name="RetrieveSharedPrincipalsAndAccess"/)
    for (const name of [
      'AddMembersTeam',
      'RemoveMembersTeam',
      'AddPrivilegesRole',
      'RemovePrivilegeRole',
    ]) {
      assert.match(xml, new RegExp(`<Action Name="${name}" IsBound="true">`))
    }
    for (const name of ['RetrieveRolePrivilegesRole', 'RetrieveUserPrivileges']) {
      assert.match(xml, new RegExp(`<Function Name="${name}" IsBound="true">`))
    }
  })

  it('create owned by someone else needs the Assign privilege', async () => {
    const forBob = { name: 'For Bob', 'ownerid@odata.bind': `/systemusers(${key('bob')})` }
    const refused = await f.call('POST', 'accounts', { body: forBob, caller: cal })
    assert.equal(refused.status, 403)
    assert.match(refused.error?.message ?? '', /missing prvAssignaccount privilege/)
    const own = await f.call('POST', 'accounts', {
      body: { name: 'Cal Co', 'ownerid@odata.bind': `/systemusers(${key('cal')})` },
      caller: cal,
    })
    assert.equal(own.status, 204)
    // Create is checked on the new row too: at User depth, ann can't create bob's record.
    const outside = await f.call('POST', 'accounts', { body: forBob, caller: ann })
    assert.equal(outside.status, 400)
    const given = await f.call('POST', 'accounts', { body: forBob })
    assert.equal(given.status, 204)
    const created = await f.app.records.retrieveRecord(f.env.id, 'account', entityIdOf(given))
    assert.equal(created['ownerid'], key('bob'))
  })

  it('Assign moves a record between scopes on the next request', async () => {
    const before = await f.call('GET', `accounts(${key('acc_root')})`, { caller: ann })
    assert.equal(before.status, 404)
    const assigned = await patch(f.admin, `accounts(${key('acc_root')})`, {
      'ownerid@odata.bind': `/systemusers(${key('ann')})`,
    })
    assert.equal(assigned.status, 204)
    const moved = await f.app.records.retrieveRecord(f.env.id, 'account', key('acc_root'))
    assert.equal(moved['owningbusinessunit'], key('east'))
    const after = await f.call('GET', `accounts(${key('acc_root')})`, { caller: ann })
    assert.equal(after.status, 200)
    // And back: out of East, out of ann's scope.
    await patch(f.admin, `accounts(${key('acc_root')})`, {
      'ownerid@odata.bind': `/systemusers(${f.ids.systemUserId})`,
    })
    const gone = await f.call('GET', `accounts(${key('acc_root')})`, { caller: ann })
    assert.equal(gone.status, 404)
  })
})

describe('Append To in a $batch change set', () => {
  let f: BatchFixture
  before(async () => {
    f = await openBatchFixture()
  })
  after(async () => {
    await f.close()
  })

  it('a bind refused for Append To fails the change set and rolls it back', async () => {
    const actor = { actorId: f.ids.systemUserId }
    const user = await f.app.records.createRecord(
      f.env.id,
      'systemuser',
      { fullname: 'Dee', businessunitid: f.ids.businessUnitId },
      actor,
    )
    const roles = await f.odata(f.ctx, {
      method: 'GET',
      path: 'roles',
      query: { $select: 'roleid,name', $filter: "name eq 'Basic User'" },
      headers: {},
      body: undefined,
    })
    const roleId = String(((roles.body as Row)['value'] as Row[])[0]?.['roleid'])
    await f.app.records.createRecord(
      f.env.id,
      'systemuserroles',
      { systemuserid: user, roleid: roleId },
      actor,
    )
    const theirs = await f.app.records.createRecord(
      f.env.id,
      'account',
      { name: 'Admin Co' },
      actor,
    )
    await grantAccess({ records: f.app.records, env: f.env.id }, f.ctx.caller, 'account', theirs, {
      principalId: user,
      principalType: 'systemuser',
      accessMask: 1,
    })
    const dee = await callerOf(f.app.records, f.env.id, user, f.ids.businessUnitId)
    const api = f.ctx.webApiUrl
    const CRLF = '\r\n'
    const part = (line: string, body: unknown, contentId: string) => [
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      `Content-ID: ${contentId}`,
      '',
      line,
      'Content-Type: application/json',
      '',
      JSON.stringify(body),
    ]
    const parts = [
      part(`POST ${api}contacts HTTP/1.1`, { firstname: 'Batched' }, '1'),
      part(
        `POST ${api}contacts HTTP/1.1`,
        { firstname: 'Bound', 'parentcustomerid_account@odata.bind': `/accounts(${theirs})` },
        '2',
      ),
    ]
    const body = [
      '--batch_1',
      'Content-Type: multipart/mixed; boundary=cs_1',
      '',
      ...parts.flatMap((p) => ['--cs_1', ...p]),
      '--cs_1--',
      '--batch_1--',
      '',
    ].join(CRLF)
    const res = await f.odata(
      { ...f.ctx, caller: dee },
      {
        method: 'POST',
        path: '$batch',
        query: {},
        headers: { 'content-type': 'multipart/mixed; boundary=batch_1' },
        body,
      },
    )
    assert.equal(res.status, 403)
    const contacts = await f.odata(f.ctx, {
      method: 'GET',
      path: 'contacts',
      query: { $select: 'firstname', $filter: "firstname eq 'Batched'" },
      headers: {},
      body: undefined,
    })
    assert.deepEqual((contacts.body as Row)['value'], [])
  })
})

describe('business units through the Web API', () => {
  let f: ODataFixture
  before(async () => {
    f = await odataFixture()
  })
  after(async () => {
    await f.close()
  })

  it('POST creates the unit and its default team; DELETE refuses a unit in use', async () => {
    const created = await f.call('POST', 'businessunits', {
      body: {
        name: 'North',
        'parentbusinessunitid@odata.bind': `/businessunits(${f.ids.businessUnitId})`,
      },
    })
    assert.equal(created.status, 204)
    const north = entityIdOf(created)
    const teams = await f.call('GET', 'teams', {
      query: { $select: 'name,isdefault', $filter: `_businessunitid_value eq ${north}` },
    })
    assert.deepEqual(
      (teams.json['value'] as Row[]).map((t) => [t['name'], t['isdefault']]),
      [['North', true]],
    )
    const child = await f.call('POST', 'businessunits', {
      body: { name: 'North 1', 'parentbusinessunitid@odata.bind': `/businessunits(${north})` },
      headers: { Prefer: 'return=representation' },
    })
    assert.equal(child.status, 201)
    const childId = String(child.json['businessunitid'])
    const cycle = await f.call('PATCH', `businessunits(${north})`, {
      body: { 'parentbusinessunitid@odata.bind': `/businessunits(${childId})` },
      headers: { 'If-Match': '*' },
    })
    assert.equal(cycle.status, 400)
    assert.match(cycle.error?.message ?? '', /can't be moved under itself/)
    const busy = await f.call('DELETE', `businessunits(${north})`)
    assert.equal(busy.status, 409)
    const noParent = await f.call('POST', 'businessunits', { body: { name: 'Loose' } })
    assert.equal(noParent.status, 400)
    const extra = await f.call('POST', 'businessunits', {
      body: {
        name: 'X',
        description: 'no',
        'parentbusinessunitid@odata.bind': `/businessunits(${north})`,
      },
    })
    assert.equal(extra.status, 400)
    const basic = { ...f.admin, roles: ['Basic User'] }
    const denied = await f.call('POST', 'businessunits', {
      body: { name: 'Y', 'parentbusinessunitid@odata.bind': `/businessunits(${north})` },
      caller: basic,
    })
    assert.equal(denied.status, 403)
    assert.equal((await f.call('DELETE', `businessunits(${childId})`)).status, 204)
    assert.equal((await f.call('DELETE', `businessunits(${north})`)).status, 204)
    assert.equal((await f.call('GET', `businessunits(${north})`)).status, 404)
  })
})
