import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { DynamicsWebApi } from 'dynamics-web-api'
import type { Caller } from '../../src/api/context.ts'
import { toErrorResponse } from '../../src/api/errors.ts'
import { openBatchFixture, type BatchFixture } from '../helpers/batch-fixture.ts'
import { entityIdOf, odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

const KEY_NOT_FOUND = 'A record with the specified key values does not exist in account entity'
const UNDEFINED_KEY =
  "The number of keys specified in the URI does not match number of key properties for the resource 'Microsoft.Dynamics.CRM.account'."

// Issue 4: alternate keys (Dataverse EntityKeys) through the Web API: addressing, upsert,
// @odata.bind, duplicates, metadata.
describe('alternate keys through the Web API', () => {
  let f: ODataFixture
  let a1 = ''
  let basic: Caller
  const enc = (key: string) => encodeURIComponent(key)

  before(async () => {
    f = await odataFixture()
    const env = f.env.id
    await f.app.records.createKey(env, 'account', {
      name: 'accountnumberkey',
      displayName: 'Account number',
      columns: ['accountnumber'],
    })
    await f.app.records.addColumn(env, 'contact', { name: 'employeeno', type: 'wholenumber' })
    await f.app.records.createKey(env, 'contact', {
      name: 'employeekey',
      columns: ['lastname', 'employeeno'],
    })
    await f.app.records.createTable(env, { name: 'new_project', ownership: 'user' })
    await f.app.records.addColumn(env, 'new_project', {
      name: 'accountref',
      type: 'lookup',
      options: { targets: ['account'] },
    })
    await f.app.records.createKey(env, 'new_project', {
      name: 'accountrefkey',
      columns: ['accountref'],
    })
    a1 = entityIdOf(
      await f.call('POST', 'accounts', { body: { name: 'First', accountnumber: 'A-1' } }),
    )
    const bob = await f.app.records.createRecord(
      env,
      'systemuser',
      { fullname: 'Bob Basic', businessunitid: f.ids.businessUnitId },
      { actorId: f.ids.systemUserId },
    )
    basic = { systemUserId: bob, businessUnitId: f.ids.businessUnitId, roles: ['Basic User'] }
  })
  after(async () => {
    await f.close()
  })

  it('GET, property GET and $select by a single-column key', async () => {
    const res = await f.call('GET', `accounts(${enc("accountnumber='A-1'")})`, {
      query: { $select: 'name' },
    })
    assert.equal(res.status, 200)
    assert.equal(res.json['accountid'], a1)
    assert.equal(res.json['name'], 'First')
    const prop = await f.call('GET', "accounts(accountnumber='A-1')/name")
    assert.equal(prop.status, 200)
    assert.equal(prop.json['value'], 'First')
  })

  it('a key that matches no record: 404 with the Dataverse message, for GET, DELETE and properties', async () => {
    for (const [method, path] of [
      ['GET', "accounts(accountnumber='NOPE')"],
      ['DELETE', "accounts(accountnumber='NOPE')"],
      ['GET', "accounts(accountnumber='NOPE')/name"],
    ] as const) {
      const res = await f.call(method, path)
      assert.equal(res.status, 404, path)
      assert.equal(res.error?.code, '0x80040217')
      assert.equal(res.error.message, KEY_NOT_FOUND)
    }
    assert.equal((await f.call('POST', "accounts(accountnumber='NOPE')")).status, 405)
  })

  it('names that are no key of the table: 400 0x80060888, as Dataverse', async () => {
    for (const key of [
      "name='First'",
      "accountnumber='A-1',name='First'",
      "accountnumber='A-1',accountnumber='A-1'",
      '_primarycontactid_value=00000000-0000-0000-0000-000000000001',
      'primarycontactid=00000000-0000-0000-0000-000000000001',
    ]) {
      const res = await f.call('GET', `accounts(${key})`)
      assert.equal(res.status, 400, key)
      assert.equal(res.error?.code, '0x80060888', key)
      assert.equal(res.error.message, UNDEFINED_KEY)
    }
    const partial = await f.call('GET', "contacts(lastname='Smith')")
    assert.equal(partial.status, 400)
    assert.equal(partial.error?.code, '0x80060888')
    // Wrong literal types and nulls are malformed keys.
    for (const key of ['accountnumber=5', 'accountnumber=null']) {
      const res = await f.call('GET', `accounts(${key})`)
      assert.equal(res.status, 400, key)
      assert.equal(res.error?.code, '0x80060888', key)
    }
    // A value longer than the column can hold can't be a key value: 400, not a 500.
    const long = await f.call('GET', `accounts(accountnumber='${'x'.repeat(21)}')`)
    assert.equal(long.status, 400)
    assert.equal(long.error?.code, '0x80040203')
  })

  it('PATCH updates the record the key names; DELETE deletes it', async () => {
    const up = await f.call('PATCH', "accounts(accountnumber='A-1')", {
      body: { telephone1: '555-0100' },
    })
    assert.equal(up.status, 204)
    assert.match(up.headers['OData-EntityId'] ?? '', new RegExp(`accounts\\(${a1}\\)$`))
    assert.equal((await f.call('GET', `accounts(${a1})`)).json['telephone1'], '555-0100')
    const tmp = entityIdOf(
      await f.call('POST', 'accounts', { body: { name: 'Tmp', accountnumber: 'TMP' } }),
    )
    assert.equal((await f.call('DELETE', "accounts(accountnumber='TMP')")).status, 204)
    assert.equal((await f.call('GET', `accounts(${tmp})`)).status, 404)
  })

  it('upsert: PATCH to an absent key creates the record with the key values set', async () => {
    const created = await f.call('PATCH', "accounts(accountnumber='O''Brien-7')", {
      body: { name: 'Upserted' },
      headers: { prefer: 'return=representation' },
    })
    assert.equal(created.status, 201)
    assert.equal(created.json['accountnumber'], "O'Brien-7")
    assert.equal(created.json['name'], 'Upserted')
    const id = String(created.json['accountid'])
    // The same PATCH again updates that record.
    const again = await f.call('PATCH', "accounts(accountnumber='O''Brien-7')", {
      body: { name: 'Upserted twice' },
      headers: { prefer: 'return=representation' },
    })
    assert.equal(again.status, 200)
    assert.equal(again.json['accountid'], id)
    assert.equal(again.json['name'], 'Upserted twice')
    // A body value that contradicts the key in the URL is refused.
    const contradicts = await f.call('PATCH', "accounts(accountnumber='NEW-9')", {
      body: { name: 'x', accountnumber: 'OTHER' },
    })
    assert.equal(contradicts.status, 400)
    assert.equal(
      (await f.call('GET', "accounts(accountnumber='NEW-9')")).error?.message,
      KEY_NOT_FOUND,
    )
  })

  it('upsert honours If-Match: * (update only) and If-None-Match: * (create only)', async () => {
    const updateOnly = await f.call('PATCH', "accounts(accountnumber='MISSING-1')", {
      body: { name: 'x' },
      headers: { 'if-match': '*' },
    })
    assert.equal(updateOnly.status, 404)
    assert.equal(updateOnly.error?.message, KEY_NOT_FOUND)
    assert.equal((await f.call('GET', "accounts(accountnumber='MISSING-1')")).status, 404)
    const updated = await f.call('PATCH', "accounts(accountnumber='A-1')", {
      body: { websiteurl: 'https://a1.example' },
      headers: { 'if-match': '*' },
    })
    assert.equal(updated.status, 204)

    const exists = await f.call('PATCH', "accounts(accountnumber='A-1')", {
      body: { name: 'x' },
      headers: { 'if-none-match': '*' },
    })
    assert.equal(exists.status, 412)
    assert.equal(exists.error?.code, '0x80040237')
    assert.equal(exists.error.message, 'A record with matching key values already exists.')
    const createOnly = await f.call('PATCH', "accounts(accountnumber='CREATE-1')", {
      body: { name: 'Created only' },
      headers: { 'if-none-match': '*' },
    })
    assert.equal(createOnly.status, 204)
    const id = /\(([0-9a-f-]{36})\)$/.exec(createOnly.headers['OData-EntityId'] ?? '')?.[1]
    assert.ok(id)
    assert.equal((await f.call('GET', `accounts(${id})`)).json['accountnumber'], 'CREATE-1')
  })

  it('duplicate key values on create and update answer 412 0x80040237, never 500', async () => {
    const post = await f.call('POST', 'accounts', { body: { name: 'Dup', accountnumber: 'A-1' } })
    assert.equal(post.status, 412)
    assert.equal(post.error?.code, '0x80040237')
    const other = entityIdOf(
      await f.call('POST', 'accounts', { body: { name: 'Other', accountnumber: 'B-1' } }),
    )
    const patch = await f.call('PATCH', `accounts(${other})`, { body: { accountnumber: 'A-1' } })
    assert.equal(patch.status, 412)
    assert.equal(patch.error?.code, '0x80040237')
    const put = await f.call('PUT', `accounts(${other})/accountnumber`, { body: { value: 'A-1' } })
    assert.equal(put.status, 412)
    assert.equal(put.error?.code, '0x80040237')
    // Changing the key itself through its own key works.
    const rekey = await f.call('PATCH', "accounts(accountnumber='B-1')", {
      body: { accountnumber: 'B-2' },
    })
    assert.equal(rekey.status, 204)
    assert.equal((await f.call('GET', "accounts(accountnumber='B-2')")).json['accountid'], other)
  })

  it('compound keys: every column, any order, typed literals', async () => {
    const created = await f.call('PATCH', "contacts(lastname='Smith',employeeno=7)", {
      body: { firstname: 'Ann' },
    })
    assert.equal(created.status, 204)
    const id = /\(([0-9a-f-]{36})\)$/.exec(created.headers['OData-EntityId'] ?? '')?.[1]
    const read = await f.call('GET', "contacts(employeeno=7,lastname='Smith')")
    assert.equal(read.status, 200)
    assert.equal(read.json['contactid'], id)
    assert.equal(read.json['fullname'], 'Ann Smith')
    assert.equal((await f.call('GET', "contacts(lastname='Smith',employeeno=8)")).status, 404)
    const typed = await f.call('GET', "contacts(lastname='Smith',employeeno='7')")
    assert.equal(typed.status, 400)
  })

  it('a lookup column in a key is addressed as _<column>_value', async () => {
    const created = await f.call('POST', 'new_projects', {
      body: { name: 'P1', 'accountref@odata.bind': `/accounts(${a1})` },
    })
    const project = entityIdOf(created)
    const read = await f.call('GET', `new_projects(_accountref_value=${a1})`)
    assert.equal(read.status, 200)
    assert.equal(read.json['new_projectid'], project)
    assert.equal((await f.call('GET', `new_projects(accountref=${a1})`)).status, 400)
    const dup = await f.call('POST', 'new_projects', {
      body: { name: 'P2', 'accountref@odata.bind': `/accounts(${a1})` },
    })
    assert.equal(dup.status, 412)
  })

  it('@odata.bind by alternate key', async () => {
    const res = await f.call('POST', 'contacts', {
      body: {
        lastname: 'Bound',
        'parentcustomerid_account@odata.bind': "/accounts(accountnumber='A-1')",
      },
      headers: { prefer: 'return=representation' },
    })
    assert.equal(res.status, 201)
    assert.equal(res.json['_parentcustomerid_value'], a1)
    const encoded = await f.call('POST', 'accounts', {
      body: {
        name: 'Child',
        'parentaccountid@odata.bind': `accounts(${enc("accountnumber='A-1'")})`,
      },
      headers: { prefer: 'return=representation' },
    })
    assert.equal(encoded.json['_parentaccountid_value'], a1)
    const missing = await f.call('POST', 'accounts', {
      body: { name: 'Orphan', 'parentaccountid@odata.bind': "/accounts(accountnumber='NOPE')" },
    })
    assert.equal(missing.status, 400)
    assert.match(missing.error?.message ?? '', /refers to a record that does not exist/)
    const undefinedKey = await f.call('POST', 'accounts', {
      body: { name: 'Orphan', 'parentaccountid@odata.bind': "/accounts(name='First')" },
    })
    assert.equal(undefinedKey.status, 400)
    assert.equal(undefinedKey.error?.code, '0x80060888')
  })

  it("a Basic User can't tell a key it can't see from a missing one", async () => {
    for (const key of ["accountnumber='A-1'", "accountnumber='NOPE'"]) {
      const res = await f.call('GET', `accounts(${key})`, { caller: basic })
      assert.equal(res.status, 404, key)
      assert.equal(res.error?.message, KEY_NOT_FOUND)
      assert.ok(!JSON.stringify(res.json).includes(a1))
    }
    const probe = await f.call('PATCH', "accounts(accountnumber='A-1')", {
      body: { name: 'probe' },
      headers: { 'if-none-match': '*' },
      caller: basic,
    })
    assert.equal(probe.status, 404)
    assert.equal(probe.error?.message, KEY_NOT_FOUND)
    const bind = await f.call('POST', 'contacts', {
      body: {
        lastname: 'Probe',
        'parentcustomerid_account@odata.bind': "/accounts(accountnumber='A-1')",
      },
      caller: basic,
    })
    assert.equal(bind.status, 400)
    assert.equal((await f.call('GET', `accounts(${a1})`)).json['name'], 'First')
  })

  it('EntityDefinitions exposes Keys; $metadata the AlternateKeys annotation', async () => {
    const keys = await f.call('GET', "EntityDefinitions(LogicalName='account')/Keys")
    assert.equal(keys.status, 200)
    const [key] = keys.json['value'] as Record<string, unknown>[]
    assert.equal(key?.['LogicalName'], 'accountnumberkey')
    assert.deepEqual(key['KeyAttributes'], ['accountnumber'])
    assert.equal(key['EntityLogicalName'], 'account')
    assert.equal(key['EntityKeyIndexStatus'], 'Active')
    const one = await f.call(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Keys(LogicalName='employeekey')/KeyAttributes",
    )
    assert.deepEqual(one.json['value'], ['lastname', 'employeeno'])
    const byId = await f.call(
      'GET',
      `EntityDefinitions(LogicalName='account')/Keys(${String(key['MetadataId'])})`,
      { query: { $select: 'SchemaName' } },
    )
    assert.equal(byId.json['SchemaName'], 'accountnumberkey')
    assert.equal(
      (await f.call('GET', "EntityDefinitions(LogicalName='account')/Keys(LogicalName='x')"))
        .status,
      404,
    )
    const none = await f.call('GET', "EntityDefinitions(LogicalName='team')/Keys")
    assert.deepEqual(none.json['value'], [])

    const xml = String((await f.call('GET', '$metadata')).body)
    const account = /<EntityType Name="account">.*?<\/EntityType>/s.exec(xml)?.[0] ?? ''
    assert.match(
      account,
      /<Annotation Term="OData.Community.Keys.V1.AlternateKeys"><Collection><Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection><Record Type="OData.Community.Keys.V1.PropertyRef"><PropertyValue Property="Alias" String="accountnumber"\/><PropertyValue Property="Name" PropertyPath="accountnumber"\/><\/Record><\/Collection><\/PropertyValue><\/Record><\/Collection><\/Annotation>/,
    )
    const project = /<EntityType Name="new_project">.*?<\/EntityType>/s.exec(xml)?.[0] ?? ''
    assert.match(project, /PropertyPath="_accountref_value"/)
    const team = /<EntityType Name="team">.*?<\/EntityType>/s.exec(xml)?.[0] ?? ''
    assert.doesNotMatch(team, /AlternateKeys/)
  })
})

/**
 * The real DynamicsWebApi client addressing records by alternate key. The transport is a
 * loopback HTTP server handing requests to the fixture's OData handler (as in
 * batch-dynamics-web-api.test.ts); TLS and tokens are tested end to end elsewhere.
 */
describe('alternate keys with DynamicsWebApi', () => {
  let f: BatchFixture
  let server: Server
  let dwa: DynamicsWebApi

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string') headers[k] = v
        }
        const prefix = '/contoso/prod/api/data/v9.2/'
        const [path = '', search = ''] = (req.url ?? '').slice(prefix.length).split('?')
        const text = Buffer.concat(chunks).toString('utf8')
        f.odata(f.ctx, {
          method: req.method ?? 'GET',
          path,
          query: Object.fromEntries(new URLSearchParams(search)),
          headers,
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
        })
          .catch((e: unknown) => {
            const { status, body } = toErrorResponse(e, 'req')
            return { status, headers: { 'Content-Type': 'application/json' }, body }
          })
          .then((answer) => {
            const json = typeof answer.body === 'object' && answer.body !== null
            res.writeHead(answer.status, {
              'OData-Version': '4.0',
              ...(json ? { 'Content-Type': 'application/json; odata.metadata=minimal' } : {}),
              ...answer.headers,
            })
            res.end(
              answer.body === undefined
                ? undefined
                : typeof answer.body === 'string'
                  ? answer.body
                  : JSON.stringify(answer.body),
            )
          })
          .catch(() => res.destroy())
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    f = await openBatchFixture(`http://127.0.0.1:${String(port)}`)
    await f.app.records.createKey(f.env.id, 'account', {
      name: 'accountnumberkey',
      columns: ['accountnumber'],
    })
    dwa = new DynamicsWebApi({
      serverUrl: f.ctx.environmentUrl,
      dataApi: { version: '9.2' },
      onTokenRefresh: () => Promise.resolve('test-token'),
    })
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await f.close()
  })

  it('upserts, retrieves, updates and deletes by alternate key', async () => {
    const created = await dwa.upsert<Record<string, unknown>, Record<string, unknown>>({
      collection: 'accounts',
      key: "accountnumber='DWA-1'",
      data: { name: 'Dwa Keyed' },
      returnRepresentation: true,
    })
    assert.equal(created['accountnumber'], 'DWA-1')
    const id = String(created['accountid'])
    const read = await dwa.retrieve<Record<string, unknown>>({
      collection: 'accounts',
      key: "accountnumber='DWA-1'",
      select: ['name', 'accountnumber'],
    })
    assert.equal(read['accountid'], id)
    assert.equal(read['name'], 'Dwa Keyed')
    await dwa.update({
      collection: 'accounts',
      key: "accountnumber='DWA-1'",
      data: { name: 'Dwa Renamed' },
    })
    const renamed = await f.app.records.retrieveRecord(f.env.id, 'account', id)
    assert.equal(renamed['name'], 'Dwa Renamed')
    const missing = await dwa
      .retrieve({ collection: 'accounts', key: "accountnumber='DWA-NOPE'" })
      .then(
        () => assert.fail('expected a 404'),
        (e: unknown) => e as { status: number; message: string },
      )
    assert.equal(missing.status, 404)
    await dwa.deleteRecord({ collection: 'accounts', key: "accountnumber='DWA-1'" })
    await assert.rejects(f.app.records.retrieveRecord(f.env.id, 'account', id), {
      code: 'RECORD_NOT_FOUND',
    })
  })

  it('$batch: upsert and bind by alternate key inside a change set; a duplicate rolls it back', async () => {
    const api = f.ctx.webApiUrl
    const part = (line: string, body?: unknown, contentId?: string) => [
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      ...(contentId === undefined ? [] : [`Content-ID: ${contentId}`]),
      '',
      line,
      ...(body === undefined ? [] : ['Content-Type: application/json']),
      '',
      ...(body === undefined ? [] : [JSON.stringify(body)]),
    ]
    const changeset = (name: string, ...parts: string[][]) => [
      `Content-Type: multipart/mixed; boundary=${name}`,
      '',
      ...parts.flatMap((p) => [`--${name}`, ...p]),
      `--${name}--`,
    ]
    const body = (...parts: string[][]) =>
      [...parts.flatMap((p) => ['--batch_1', ...p]), '--batch_1--', ''].join('\r\n')
    const ok = await f.batch(
      body(
        changeset(
          'cs_1',
          part(`PATCH ${api}accounts(accountnumber='BATCH-1') HTTP/1.1`, { name: 'Batched' }, '1'),
          part(`POST ${api}contacts HTTP/1.1`, {
            lastname: 'Batched',
            'parentcustomerid_account@odata.bind': "accounts(accountnumber='BATCH-1')",
          }),
        ),
        part(`GET ${api}accounts(accountnumber='BATCH-1')?$select=name HTTP/1.1`),
      ),
    )
    assert.equal(ok.status, 200)
    assert.deepEqual(
      ok.parts.map((p) => p.status),
      [204, 204, 200],
    )
    const read = JSON.parse(ok.parts[2]?.body ?? '{}') as Record<string, unknown>
    assert.equal(read['name'], 'Batched')

    const dup = await f.batch(
      body(
        changeset(
          'cs_2',
          part(`POST ${api}accounts HTTP/1.1`, { name: 'Rolled back', accountnumber: 'BATCH-2' }),
          part(`POST ${api}accounts HTTP/1.1`, { name: 'Rolled back', accountnumber: 'BATCH-1' }),
        ),
      ),
    )
    assert.equal(dup.status, 412)
    assert.equal(
      (JSON.parse(dup.parts[0]?.body ?? '{}') as { error: { code: string } }).error.code,
      '0x80040237',
    )
    assert.equal(
      await f.app.records.findRecordIdByKey(f.env.id, 'account', { accountnumber: 'BATCH-2' }),
      undefined,
    )
  })
})
