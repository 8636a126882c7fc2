import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { entityIdOf, odataFixture, WEB_API, type ODataFixture } from '../helpers/odata-fixture.ts'

const MISSING = '00000000-0000-4000-8000-000000000001'

describe('OData records: create, retrieve, update, upsert, delete, properties', () => {
  let f: ODataFixture

  before(async () => {
    f = await odataFixture()
  })
  after(async () => {
    await f.close()
  })

  it('creates with 204 + OData-EntityId, retrieves with context and etag', async () => {
    const created = await f.call('POST', 'accounts', {
      body: { name: 'Contoso', numberofemployees: 10, industrycode: 7, donotemail: true },
    })
    assert.equal(created.status, 204)
    const id = entityIdOf(created)
    assert.equal(created.headers['OData-EntityId'], `${WEB_API}accounts(${id})`)

    const got = await f.call('GET', `accounts(${id})`)
    assert.equal(got.status, 200)
    assert.equal(got.json['@odata.context'], `${WEB_API}$metadata#accounts/$entity`)
    assert.match(String(got.json['@odata.etag']), /^W\/"\d+"$/)
    assert.equal(got.json['name'], 'Contoso')
    assert.equal(got.json['accountid'], id)
    assert.equal(got.json['_ownerid_value'], f.ids.systemUserId)
    assert.ok(!('ownerid' in got.json))
    // Braces and upper case in the key are accepted.
    const braces = await f.call('GET', `accounts(%7B${id.toUpperCase()}%7D)`)
    assert.equal(braces.status, 200)
    const named = await f.call('GET', `accounts(accountid=${id})`)
    assert.equal(named.json['accountid'], id)
  })

  it('return=representation: 201 with $select and Preference-Applied', async () => {
    const res = await f.call('POST', 'accounts', {
      body: { name: 'Fabrikam' },
      query: { $select: 'name' },
      headers: { Prefer: 'return=representation' },
    })
    assert.equal(res.status, 201)
    assert.equal(res.headers['Preference-Applied'], 'return=representation')
    assert.equal(res.json['name'], 'Fabrikam')
    assert.ok(typeof res.json['accountid'] === 'string')
    assert.ok(!('numberofemployees' in res.json))
    assert.equal(res.json['@odata.context'], `${WEB_API}$metadata#accounts(name)/$entity`)
  })

  it('formatted values and lookup annotations when include-annotations asks', async () => {
    const id = entityIdOf(
      await f.call('POST', 'accounts', {
        body: { name: 'Annotated', industrycode: 7, donotemail: false, revenue: 1234.5 },
      }),
    )
    const plain = await f.call('GET', `accounts(${id})`)
    assert.ok(!Object.keys(plain.json).some((k) => k.includes('FormattedValue')))
    const res = await f.call('GET', `accounts(${id})`, {
      headers: { Prefer: 'odata.include-annotations="*"' },
    })
    const j = res.json
    assert.equal(j['industrycode@OData.Community.Display.V1.FormattedValue'], 'Consulting')
    assert.equal(j['donotemail@OData.Community.Display.V1.FormattedValue'], 'No')
    assert.equal(j['revenue@OData.Community.Display.V1.FormattedValue'], '1,234.50')
    assert.equal(j['statecode@OData.Community.Display.V1.FormattedValue'], 'Active')
    assert.equal(j['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'systemuser')
    assert.equal(
      j['_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty'],
      'ownerid_systemuser',
    )
    assert.equal(typeof j['_ownerid_value@OData.Community.Display.V1.FormattedValue'], 'string')
    assert.match(String(res.headers['Preference-Applied']), /include-annotations/)
  })

  it('404 0x80040217 for a missing record; 400 for a malformed key; 404 for an unknown set', async () => {
    const res = await f.call('GET', `accounts(${MISSING})`)
    assert.equal(res.status, 404)
    assert.equal(res.error?.code, '0x80040217')
    assert.equal(res.error.message, `account With Id = ${MISSING} Does Not Exist`)
    const bad = await f.call('GET', 'accounts(not-a-guid)')
    assert.equal(bad.status, 400)
    const unknown = await f.call('GET', 'nothings')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.error?.code, '0x80060888')
    // A logical name is not an entity set name.
    assert.equal((await f.call('GET', 'account')).status, 404)
    const alt = await f.call('GET', "accounts(accountnumber='A1')")
    assert.equal(alt.status, 400)
    // No key is defined on accountnumber: Dataverse's OData message and 0x80060888.
    assert.equal(alt.error?.code, '0x80060888')
    assert.match(alt.error.message, /does not match number of key properties/)
  })

  it('refuses unknown properties, bad values and non-object bodies with 400', async () => {
    const unknown = await f.call('POST', 'accounts', { body: { name: 'x', nosuch: 1 } })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.error?.code, '0x80060888')
    assert.match(unknown.error.message, /The property 'nosuch' does not exist on type/)
    const badValue = await f.call('POST', 'accounts', {
      body: { name: 'x', numberofemployees: 'ten' },
    })
    assert.equal(badValue.status, 400)
    assert.equal(badValue.error?.code, '0x80040203')
    const array = await f.call('POST', 'accounts', { body: [1, 2] })
    assert.equal(array.status, 400)
    const lookupDirect = await f.call('POST', 'accounts', {
      body: { name: 'x', primarycontactid: MISSING },
    })
    assert.equal(lookupDirect.status, 400)
    assert.match(lookupDirect.error?.message ?? '', /@odata.bind/)
    const deep = await f.call('POST', 'accounts', { body: { name: 'x', description: { a: 1 } } })
    assert.equal(deep.status, 400)
    const many: Record<string, unknown> = {}
    for (let i = 0; i < 1001; i++) many[`p${i}`] = i
    assert.equal((await f.call('POST', 'accounts', { body: many })).status, 400)
    const longName = await f.call('POST', 'accounts', { body: { ['x'.repeat(129)]: 1 } })
    assert.equal(longName.status, 400)
    assert.ok(!(longName.error?.message ?? '').includes('xxxxxxxx'))
  })

  it('binds lookups with @odata.bind, including polymorphic and owner binds', async () => {
    const account = entityIdOf(await f.call('POST', 'accounts', { body: { name: 'Parent' } }))
    const contact = entityIdOf(
      await f.call('POST', 'contacts', {
        body: {
          firstname: 'Ada',
          lastname: 'Lovelace',
          'parentcustomerid_account@odata.bind': `/accounts(${account})`,
        },
      }),
    )
    let got = await f.call('GET', `contacts(${contact})`)
    assert.equal(got.json['_parentcustomerid_value'], account)
    assert.equal(got.json['fullname'], 'Ada Lovelace')

    const other = entityIdOf(
      await f.call('POST', 'contacts', {
        body: {
          lastname: 'Babbage',
          'parentcustomerid_contact@odata.bind': `${WEB_API}contacts(${contact})`,
          'ownerid@odata.bind': `/systemusers(${f.ids.systemUserId})`,
        },
      }),
    )
    got = await f.call('GET', `contacts(${other})`, {
      headers: { Prefer: 'odata.include-annotations="Microsoft.Dynamics.CRM.*"' },
    })
    assert.equal(got.json['_parentcustomerid_value'], contact)
    assert.equal(
      got.json['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'],
      'contact',
    )

    const acc2 = entityIdOf(
      await f.call('POST', 'accounts', {
        body: { name: 'Child', 'primarycontactid@odata.bind': `contacts(${contact})` },
      }),
    )
    assert.equal(
      (await f.call('GET', `accounts(${acc2})`)).json['_primarycontactid_value'],
      contact,
    )

    // Wrong target set, unknown navigation, malformed URL, missing target record.
    const wrongSet = await f.call('POST', 'accounts', {
      body: { name: 'x', 'primarycontactid@odata.bind': `/accounts(${account})` },
    })
    assert.equal(wrongSet.status, 400)
    const noNav = await f.call('POST', 'accounts', {
      body: { name: 'x', 'nosuch@odata.bind': `/accounts(${account})` },
    })
    assert.equal(noNav.status, 400)
    const badUrl = await f.call('POST', 'accounts', {
      body: { name: 'x', 'primarycontactid@odata.bind': 'javascript:alert(1)' },
    })
    assert.equal(badUrl.status, 400)
    const missing = await f.call('POST', 'accounts', {
      body: { name: 'x', 'primarycontactid@odata.bind': `/contacts(${MISSING})` },
    })
    assert.equal(missing.status, 400)

    // Unbind with null on update, and through $ref.
    assert.equal(
      (
        await f.call('PATCH', `accounts(${acc2})`, {
          body: { 'primarycontactid@odata.bind': null },
          headers: { 'If-Match': '*' },
        })
      ).status,
      204,
    )
    assert.equal((await f.call('GET', `accounts(${acc2})`)).json['_primarycontactid_value'], null)
    const put = await f.call('PUT', `accounts(${acc2})/primarycontactid/$ref`, {
      body: { '@odata.id': `${WEB_API}contacts(${contact})` },
    })
    assert.equal(put.status, 204)
    assert.equal(
      (await f.call('GET', `accounts(${acc2})`)).json['_primarycontactid_value'],
      contact,
    )
    assert.equal((await f.call('DELETE', `accounts(${acc2})/primarycontactid/$ref`)).status, 204)
    assert.equal((await f.call('GET', `accounts(${acc2})`)).json['_primarycontactid_value'], null)
  })

  it('updates with etags: 204, 412 on mismatch, 200 with representation, 304 when unchanged', async () => {
    const id = entityIdOf(await f.call('POST', 'accounts', { body: { name: 'Etag' } }))
    const first = await f.call('GET', `accounts(${id})`)
    const etag = String(first.json['@odata.etag'])
    assert.equal(
      (await f.call('GET', `accounts(${id})`, { headers: { 'If-None-Match': etag } })).status,
      304,
    )
    assert.equal(
      (await f.call('GET', `accounts(${id})`, { headers: { 'If-None-Match': 'null' } })).status,
      200,
    )
    const updated = await f.call('PATCH', `accounts(${id})`, {
      body: { name: 'Etag 2' },
      headers: { 'If-Match': etag },
    })
    assert.equal(updated.status, 204)
    assert.equal(updated.headers['OData-EntityId'], `${WEB_API}accounts(${id})`)
    const stale = await f.call('PATCH', `accounts(${id})`, {
      body: { name: 'Etag 3' },
      headers: { 'If-Match': etag },
    })
    assert.equal(stale.status, 412)
    assert.equal(stale.error?.code, '0x80060882')
    assert.equal(
      (
        await f.call('PATCH', `accounts(${id})`, {
          body: { name: 'x' },
          headers: { 'If-Match': 'W/"abc"' },
        })
      ).status,
      412,
    )
    assert.equal(
      (await f.call('GET', `accounts(${id})`, { headers: { 'If-None-Match': etag } })).status,
      200,
    )
    const rep = await f.call('PATCH', `accounts(${id})`, {
      body: { name: 'Etag 4' },
      query: { $select: 'name' },
      headers: { Prefer: 'return=representation' },
    })
    assert.equal(rep.status, 200)
    assert.equal(rep.json['name'], 'Etag 4')
    assert.notEqual(rep.json['@odata.etag'], etag)
    const badId = await f.call('PATCH', `accounts(${id})`, { body: { accountid: MISSING } })
    assert.equal(badId.status, 400)
  })

  it('upserts: create when missing, If-Match * update-only, If-None-Match * create-only', async () => {
    const a = '11111111-1111-4111-8111-111111111111'
    const b = '22222222-2222-4222-8222-222222222222'
    const created = await f.call('PATCH', `accounts(${a})`, { body: { name: 'Upserted' } })
    assert.equal(created.status, 204)
    assert.equal((await f.call('GET', `accounts(${a})`)).json['name'], 'Upserted')
    const again = await f.call('PATCH', `accounts(${a})`, {
      body: { name: 'Upserted 2' },
      headers: { Prefer: 'return=representation' },
    })
    assert.equal(again.status, 200)
    assert.equal(again.json['name'], 'Upserted 2')

    const updateOnly = await f.call('PATCH', `accounts(${b})`, {
      body: { name: 'no' },
      headers: { 'If-Match': '*' },
    })
    assert.equal(updateOnly.status, 404)
    assert.equal(updateOnly.error?.code, '0x80040217')

    const createOnlyExisting = await f.call('PATCH', `accounts(${a})`, {
      body: { name: 'no' },
      headers: { 'If-None-Match': '*' },
    })
    assert.equal(createOnlyExisting.status, 412)
    assert.equal(
      createOnlyExisting.error?.message,
      'A record with matching key values already exists.',
    )

    const createOnly = await f.call('PATCH', `accounts(${b})`, {
      body: { name: 'Created only' },
      headers: { 'If-None-Match': '*', Prefer: 'return=representation' },
    })
    assert.equal(createOnly.status, 201)
    assert.equal(createOnly.json['accountid'], b)
  })

  it('single properties: GET, $value, PUT, DELETE', async () => {
    const id = entityIdOf(
      await f.call('POST', 'accounts', { body: { name: 'Props', telephone1: '555' } }),
    )
    const get = await f.call('GET', `accounts(${id})/name`)
    assert.deepEqual(get.json, {
      '@odata.context': `${WEB_API}$metadata#accounts(${id})/name`,
      value: 'Props',
    })
    const raw = await f.call('GET', `accounts(${id})/name/$value`)
    assert.equal(raw.body, 'Props')
    assert.match(raw.headers['Content-Type'] ?? '', /^text\/plain/)
    const owner = await f.call('GET', `accounts(${id})/_ownerid_value`)
    assert.equal(owner.json['value'], f.ids.systemUserId)
    assert.equal(
      (await f.call('PUT', `accounts(${id})/telephone1`, { body: { value: '556' } })).status,
      204,
    )
    assert.equal((await f.call('GET', `accounts(${id})/telephone1`)).json['value'], '556')
    assert.equal((await f.call('DELETE', `accounts(${id})/telephone1`)).status, 204)
    assert.equal((await f.call('GET', `accounts(${id})/telephone1`)).status, 204)
    assert.equal(
      (await f.call('PUT', `accounts(${id})/telephone1`, { body: { value: '1', extra: 2 } }))
        .status,
      400,
    )
    assert.equal((await f.call('GET', `accounts(${id})/nosuch`)).status, 404)
    assert.equal((await f.call('GET', `accounts(${MISSING})/name`)).status, 404)
    assert.equal((await f.call('POST', `accounts(${id})/name`)).status, 405)
    assert.equal((await f.call('PUT', `accounts(${id})/name/$value`)).status, 405)
  })

  it('deletes with 204, honours If-Match, 404 afterwards', async () => {
    const id = entityIdOf(await f.call('POST', 'accounts', { body: { name: 'Doomed' } }))
    const stale = await f.call('DELETE', `accounts(${id})`, { headers: { 'If-Match': 'W/"1"' } })
    assert.equal(stale.status, 412)
    const etag = String((await f.call('GET', `accounts(${id})`)).json['@odata.etag'])
    assert.equal(
      (await f.call('DELETE', `accounts(${id})`, { headers: { 'If-Match': etag } })).status,
      204,
    )
    assert.equal((await f.call('GET', `accounts(${id})`)).status, 404)
    assert.equal((await f.call('DELETE', `accounts(${id})`)).status, 404)
  })

  it('405 for methods a resource does not take', async () => {
    assert.equal((await f.call('PUT', 'accounts')).status, 405)
    assert.equal((await f.call('DELETE', 'accounts')).status, 405)
    assert.equal((await f.call('POST', `accounts(${MISSING})`)).status, 405)
    assert.equal((await f.call('POST', '$metadata')).status, 405)
    assert.equal((await f.call('POST', 'WhoAmI')).status, 405)
    assert.equal((await f.call('DELETE', 'EntityDefinitions')).status, 405)
    assert.equal((await f.call('POST', 'accounts/$count')).status, 405)
    assert.equal((await f.call('GET', 'accounts/nosuch')).status, 404)
    assert.equal((await f.call('GET', 'a/b/c/d/e/f/g')).status, 404)
  })
})
