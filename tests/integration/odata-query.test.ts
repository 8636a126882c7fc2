import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Caller } from '../../src/api/context.ts'
import { entityIdOf, odataFixture, WEB_API, type ODataFixture } from '../helpers/odata-fixture.ts'

type Row = Record<string, unknown>
const rows = (json: Row): Row[] => json['value'] as Row[]

/** The path and query of a nextLink, as server.ts would hand them to the handler. */
function follow(link: unknown): { path: string; query: Record<string, string> } {
  const url = new URL(link as string)
  const path = url.pathname.slice(new URL(WEB_API).pathname.length)
  return { path, query: Object.fromEntries(url.searchParams) }
}

describe('OData queries: options, paging, $count, $expand and scope', () => {
  let f: ODataFixture
  let basic: Caller
  let bobAccount = ''
  let adminAccount = ''

  before(async () => {
    f = await odataFixture()
    for (let i = 0; i < 25; i++) {
      await f.call('POST', 'accounts', {
        body: { name: `Paged ${String(i).padStart(2, '0')}`, numberofemployees: i % 5 },
      })
    }
    // A second user (Basic User) who owns one account and one contact.
    const bob = await f.app.records.createRecord(
      f.env.id,
      'systemuser',
      { fullname: 'Bob Basic', businessunitid: f.ids.businessUnitId },
      { actorId: f.ids.systemUserId },
    )
    basic = { systemUserId: bob, businessUnitId: f.ids.businessUnitId, roles: ['Basic User'] }
    bobAccount = await f.app.records.createRecord(
      f.env.id,
      'account',
      { name: 'Bob Co', ownerid: bob },
      { actorId: f.ids.systemUserId },
    )
    adminAccount = entityIdOf(await f.call('POST', 'accounts', { body: { name: 'Admin Co' } }))
    for (const [first, owner, account] of [
      ['Bobby', bob, bobAccount],
      ['Alice', f.ids.systemUserId, bobAccount],
      ['Carol', f.ids.systemUserId, adminAccount],
    ] as const) {
      const id = await f.app.records.createRecord(
        f.env.id,
        'contact',
        { firstname: first, lastname: 'X', ownerid: owner, parentcustomerid: account },
        { actorId: f.ids.systemUserId },
      )
      if (first === 'Carol') {
        await f.call('PATCH', `accounts(${adminAccount})`, {
          body: { 'primarycontactid@odata.bind': `/contacts(${id})` },
        })
      }
      if (first === 'Bobby') {
        await f.call('PATCH', `accounts(${bobAccount})`, {
          body: { 'primarycontactid@odata.bind': `/contacts(${id})` },
        })
      }
    }
  })
  after(async () => {
    await f.close()
  })

  it('$select, $filter, $orderby, $top and parameter aliases', async () => {
    const res = await f.call('GET', 'accounts', {
      query: {
        $select: 'name,numberofemployees',
        $filter: 'startswith(name,@p) and numberofemployees ge 3',
        $orderby: 'name desc',
        $top: '3',
        '@p': "'paged'",
      },
    })
    assert.equal(res.status, 200)
    assert.equal(res.json['@odata.context'], `${WEB_API}$metadata#accounts(name,numberofemployees)`)
    const value = rows(res.json)
    assert.deepEqual(
      value.map((r) => r['name']),
      ['Paged 24', 'Paged 23', 'Paged 19'],
    )
    assert.deepEqual(Object.keys(value[0] ?? {}).sort(), [
      '@odata.etag',
      'accountid',
      'name',
      'numberofemployees',
    ])
    assert.equal(res.json['@odata.nextLink'], undefined)
  })

  it('pages with odata.maxpagesize across three pages; $top is ignored', async () => {
    const query = {
      $filter: "startswith(name,'Paged')",
      $orderby: 'name',
      $top: '2',
      $count: 'true',
    }
    const headers = { Prefer: 'odata.maxpagesize=10' }
    const seen: string[] = []
    let res = await f.call('GET', 'accounts', { query, headers })
    assert.equal(res.headers['Preference-Applied'], 'odata.maxpagesize=10')
    assert.equal(res.json['@odata.count'], 25)
    let pages = 1
    for (;;) {
      seen.push(...rows(res.json).map((r) => String(r['name'])))
      const link = res.json['@odata.nextLink']
      if (link === undefined) break
      assert.match(
        link as string,
        /^https:\/\/localhost:8443\/acme\/prod\/api\/data\/v9\.2\/accounts\?/,
      )
      const next = follow(link)
      res = await f.call('GET', next.path, { query: next.query, headers })
      assert.equal(res.status, 200, JSON.stringify(res.json))
      pages++
    }
    assert.equal(pages, 3)
    assert.equal(seen.length, 25)
    assert.deepEqual(seen, [...seen].sort())
    assert.equal(new Set(seen).size, 25)
  })

  it('refuses a tampered, foreign or mismatched skiptoken with 400', async () => {
    const query = { $orderby: 'name' }
    const headers = { Prefer: 'odata.maxpagesize=5' }
    const first = await f.call('GET', 'accounts', { query, headers })
    const next = follow(first.json['@odata.nextLink'])
    const token = next.query['$skiptoken'] ?? ''
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString()) as { k: unknown[] }
    decoded.k[0] = 'zzzz'
    const forged = Buffer.from(JSON.stringify(decoded)).toString('base64url')
    for (const bad of [forged, token.slice(0, -3), 'not a token', '', 'eyJ9']) {
      const res = await f.call('GET', 'accounts', { query: { ...query, $skiptoken: bad }, headers })
      assert.equal(res.status, 400, bad)
      assert.equal(res.error?.code, '0x80060888')
    }
    // The same token with another query, another page size, or another caller.
    const other = await f.call('GET', 'accounts', {
      query: { $orderby: 'name desc', $skiptoken: token },
      headers,
    })
    assert.equal(other.status, 400)
    const size = await f.call('GET', 'accounts', {
      query: next.query,
      headers: { Prefer: 'odata.maxpagesize=6' },
    })
    assert.equal(size.status, 400)
    const stranger = await f.call('GET', 'accounts', { query: next.query, headers, caller: basic })
    assert.equal(stranger.status, 400)
    assert.equal((await f.call('GET', 'accounts', { query: next.query, headers })).status, 200)
    for (const p of ['odata.maxpagesize=0', 'odata.maxpagesize=5001', 'odata.maxpagesize=x']) {
      assert.equal((await f.call('GET', 'accounts', { headers: { Prefer: p } })).status, 400)
    }
  })

  it('$count: @odata.count, /$count as text, totalrecordcount annotations', async () => {
    const res = await f.call('GET', 'accounts', {
      query: { $count: 'true', $filter: 'numberofemployees eq 0', $select: 'name' },
      headers: {
        Prefer:
          'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"',
      },
    })
    assert.equal(res.json['@odata.count'], 5)
    assert.equal(res.json['@Microsoft.Dynamics.CRM.totalrecordcount'], 5)
    assert.equal(res.json['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'], false)
    const text = await f.call('GET', 'accounts/$count', {
      query: { $filter: 'numberofemployees eq 0' },
    })
    assert.equal(text.body, '5')
    assert.match(text.headers['Content-Type'] ?? '', /^text\/plain/)
    assert.equal((await f.call('GET', 'accounts/$count')).body, '27')
  })

  it('expands single-valued and collection-valued navigation properties', async () => {
    const res = await f.call('GET', `accounts(${adminAccount})`, {
      query: {
        $select: 'name',
        $expand:
          'primarycontactid($select=fullname),contact_parentcustomerid($select=firstname;$orderby=firstname)',
      },
    })
    assert.equal(res.status, 200, JSON.stringify(res.json))
    const primary = res.json['primarycontactid'] as Row
    assert.equal(primary['fullname'], 'Carol X')
    assert.ok(typeof primary['@odata.etag'] === 'string')
    assert.ok(!('_primarycontactid_value' in res.json))
    const contacts = res.json['contact_parentcustomerid'] as Row[]
    assert.deepEqual(
      contacts.map((c) => c['firstname']),
      ['Carol'],
    )
    const list = await f.call('GET', 'accounts', {
      query: {
        $filter: `accountid eq ${bobAccount}`,
        $expand:
          'contact_parentcustomerid($select=firstname;$orderby=firstname desc;$top=1),owninguser_x',
      },
    })
    assert.equal(list.status, 400) // unknown navigation property
    const list2 = await f.call('GET', 'accounts', {
      query: {
        $filter: `accountid eq ${bobAccount}`,
        $expand:
          "contact_parentcustomerid($select=firstname;$filter=lastname eq 'X';$orderby=firstname)",
      },
    })
    const kids = (rows(list2.json)[0]?.['contact_parentcustomerid'] ?? []) as Row[]
    assert.deepEqual(
      kids.map((c) => c['firstname']),
      ['Alice', 'Bobby'],
    )
    const topped = await f.call('GET', 'accounts', {
      query: {
        $filter: `accountid eq ${bobAccount}`,
        $expand: 'contact_parentcustomerid($select=firstname;$orderby=firstname desc;$top=1)',
      },
    })
    assert.deepEqual(
      ((rows(topped.json)[0]?.['contact_parentcustomerid'] ?? []) as Row[]).map(
        (c) => c['firstname'],
      ),
      ['Bobby'],
    )
    const polymorphic = await f.call('GET', 'contacts', {
      query: {
        $select: 'firstname',
        $filter: "firstname eq 'Carol'",
        $expand: 'parentcustomerid_account($select=name),parentcustomerid_contact',
      },
    })
    const carol = rows(polymorphic.json)[0] ?? {}
    assert.equal((carol['parentcustomerid_account'] as Row)['name'], 'Admin Co')
    assert.equal(carol['parentcustomerid_contact'], null)
  })

  it('refuses nested $expand, unsupported options and too many expansions', async () => {
    const nested = await f.call('GET', 'accounts', {
      query: { $expand: 'primarycontactid($expand=parentcustomerid_account)' },
    })
    assert.equal(nested.status, 400)
    assert.equal(nested.error?.code, '0x8006088a')
    for (const option of ['$skip', '$search', '$format']) {
      const res = await f.call('GET', 'accounts', { query: { [option]: '1' } })
      assert.equal(res.status, 400, option)
      assert.equal(res.error?.code, '0x8006088a')
    }
    const filterOnSingle = await f.call('GET', 'accounts', {
      query: { $expand: "primarycontactid($filter=firstname eq 'x')" },
    })
    assert.equal(filterOnSingle.status, 400)
    const eleven = Array.from({ length: 11 }, () => 'primarycontactid').join(',')
    assert.equal((await f.call('GET', 'accounts', { query: { $expand: eleven } })).status, 400)
    assert.equal(
      (await f.call('GET', 'accounts', { query: { $filter: 'nosuch eq 1' } })).status,
      400,
    )
    assert.equal(
      (await f.call('GET', 'accounts', { query: { $filter: "name eq 'unterminated" } })).status,
      400,
    )
  })

  it("a Basic User can't probe for records it can't see (upsert If-None-Match, @odata.bind)", async () => {
    // Upsert create-only on someone else's record: 404 like any hidden record, not 412.
    const hidden = await f.call('PATCH', `accounts(${adminAccount})`, {
      body: { name: 'probe' },
      headers: { 'if-none-match': '*' },
      caller: basic,
    })
    assert.equal(hidden.status, 404)
    const own = await f.call('PATCH', `accounts(${bobAccount})`, {
      body: { name: 'probe' },
      headers: { 'if-none-match': '*' },
      caller: basic,
    })
    assert.equal(own.status, 412, 'its own record: "already exists"')
    // Binding to a record it can't see is refused exactly like binding to one that doesn't exist.
    const bindHidden = await f.call('POST', 'accounts', {
      body: { name: 'child', 'parentaccountid@odata.bind': `/accounts(${adminAccount})` },
      caller: basic,
    })
    const bindMissing = await f.call('POST', 'accounts', {
      body: {
        name: 'child',
        'parentaccountid@odata.bind': '/accounts(00000000-0000-0000-0000-0000000000aa)',
      },
      caller: basic,
    })
    assert.equal(bindHidden.status, 400)
    assert.deepEqual(bindHidden.body, bindMissing.body)
    const bindOwn = await f.call('POST', 'accounts', {
      body: { name: 'child', 'parentaccountid@odata.bind': `/accounts(${bobAccount})` },
      caller: basic,
    })
    assert.equal(bindOwn.status, 204)
    // Leave the world as the following tests expect it.
    await f.call('DELETE', `accounts(${entityIdOf(bindOwn)})`)
  })

  it('a Basic User sees only its own rows in queries, expansions and counts', async () => {
    const res = await f.call('GET', 'accounts', { query: { $count: 'true' }, caller: basic })
    assert.equal(res.status, 200)
    assert.deepEqual(
      rows(res.json).map((r) => r['accountid']),
      [bobAccount],
    )
    assert.equal(res.json['@odata.count'], 1)
    assert.equal((await f.call('GET', 'accounts/$count', { caller: basic })).body, '1')
    const expanded = await f.call('GET', `accounts(${bobAccount})`, {
      caller: basic,
      query: {
        $expand: 'contact_parentcustomerid($select=firstname),primarycontactid($select=firstname)',
      },
    })
    assert.deepEqual(
      (expanded.json['contact_parentcustomerid'] as Row[]).map((c) => c['firstname']),
      ['Bobby'],
    )
    assert.equal((expanded.json['primarycontactid'] as Row)['firstname'], 'Bobby')
    // Admin's account: 404, not 403, for retrieve, update, delete and property reads.
    const hidden = await f.call('GET', `accounts(${adminAccount})`, { caller: basic })
    assert.equal(hidden.status, 404)
    assert.equal(hidden.error?.code, '0x80040217')
    assert.equal(
      (
        await f.call('PATCH', `accounts(${adminAccount})`, {
          body: { name: 'x' },
          caller: basic,
          headers: { 'If-Match': '*' },
        })
      ).status,
      404,
    )
    // Upsert without a condition must not create a twin or reveal the record.
    assert.equal(
      (await f.call('PATCH', `accounts(${adminAccount})`, { body: { name: 'x' }, caller: basic }))
        .status,
      404,
    )
    assert.equal(
      (await f.call('DELETE', `accounts(${adminAccount})`, { caller: basic })).status,
      404,
    )
    assert.equal(
      (await f.call('GET', `accounts(${adminAccount})/name`, { caller: basic })).status,
      404,
    )
    assert.equal((await f.call('GET', `accounts(${adminAccount})`)).json['name'], 'Admin Co')
    // A single-valued expansion to a row outside the scope is null.
    const contact = await f.call('GET', 'contacts', {
      caller: basic,
      query: { $expand: 'parentcustomerid_account($select=name)' },
    })
    const bobby = rows(contact.json)
    assert.equal(bobby.length, 1)
    assert.equal((bobby[0]?.['parentcustomerid_account'] as Row)['name'], 'Bob Co')
    // Paging re-applies the scope on every page.
    const paged = await f.call('GET', 'accounts', {
      caller: basic,
      headers: { Prefer: 'odata.maxpagesize=1' },
    })
    assert.equal(rows(paged.json).length, 1)
    assert.equal(paged.json['@odata.nextLink'], undefined)
    // Records Bob creates are his; he can't create for admin.
    const own = await f.call('POST', 'accounts', { caller: basic, body: { name: 'Bob 2' } })
    assert.equal(own.status, 204)
    const forOther = await f.call('POST', 'accounts', {
      caller: basic,
      body: { name: 'Bob 3', 'ownerid@odata.bind': `/systemusers(${f.ids.systemUserId})` },
    })
    assert.equal(forOther.status, 400)
  })

  it('a caller without a role gets 403 on records', async () => {
    const nobody: Caller = { ...basic, roles: [] }
    const res = await f.call('GET', 'accounts', { caller: nobody })
    assert.equal(res.status, 403)
    assert.equal(res.error?.code, '0x80040220')
  })

  it('scopes are worked out per Caller: a new caller object with other roles sees its own', async () => {
    // The handler keeps each caller's scopes while the Caller object lives; the server
    // resolves a new Caller when roles change, so each object must answer for its own roles.
    const asBasic = () => f.call('GET', `accounts(${adminAccount})`, { caller: basic })
    assert.equal((await asBasic()).status, 404)
    const promoted: Caller = { ...basic, roles: ['System Administrator'] }
    assert.equal(
      (await f.call('GET', `accounts(${adminAccount})`, { caller: promoted })).status,
      200,
    )
    assert.equal((await asBasic()).status, 404)
    // A refusal is not remembered as "no scope": it is 403 every time.
    const nobody: Caller = { ...basic, roles: [] }
    for (let i = 0; i < 2; i++) {
      const res = await f.call('GET', `accounts(${bobAccount})`, { caller: nobody })
      assert.equal(res.status, 403)
      assert.equal(res.error?.code, '0x80040220')
    }
  })
})
