import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { odataFixture, WEB_API, type ODataFixture } from '../helpers/odata-fixture.ts'

type Row = Record<string, unknown>

/** A minimal well-formedness check: every start tag is closed in order. */
function assertWellFormedXml(xml: string): void {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>'))
  const stack: string[] = []
  const tag =
    /<(\/?)([A-Za-z_:][A-Za-z0-9_.:-]*)((?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*="[^"<]*")*)\s*(\/?)>/g
  const body = xml.replace(/^<\?xml[^>]*\?>/, '')
  let last = 0
  for (const m of body.matchAll(tag)) {
    assert.equal(body.slice(last, m.index).trim(), '', `text between tags at ${String(m.index)}`)
    last = m.index + m[0].length
    const [, close, name, , selfClose] = m
    if (close === '/') assert.equal(stack.pop(), name)
    else if (selfClose !== '/') stack.push(name ?? '')
  }
  assert.equal(body.slice(last).trim(), '')
  assert.deepEqual(stack, [])
}

describe('OData service document, $metadata, WhoAmI and EntityDefinitions', () => {
  let f: ODataFixture

  before(async () => {
    f = await odataFixture()
  })
  after(async () => {
    await f.close()
  })

  it('lists the entity sets in the service document', async () => {
    const res = await f.call('GET', '')
    assert.equal(res.json['@odata.context'], `${WEB_API}$metadata`)
    const sets = (res.json['value'] as Row[]).map((v) => v['name'])
    assert.ok(
      sets.includes('accounts') && sets.includes('contacts') && sets.includes('systemusers'),
    )
    assert.deepEqual((res.json['value'] as Row[])[0]?.['kind'], 'EntitySet')
    assert.equal((await f.call('POST', '')).status, 405)
  })

  it('serves well-formed CSDL with types, keys, navigation properties and WhoAmI', async () => {
    const res = await f.call('GET', '$metadata')
    assert.equal(res.status, 200)
    assert.match(res.headers['Content-Type'] ?? '', /^application\/xml/)
    const xml = String(res.body)
    assertWellFormedXml(xml)
    assert.match(xml, /<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm"/)
    assert.match(xml, /<EntityType Name="account"><Key><PropertyRef Name="accountid"\/><\/Key>/)
    assert.match(xml, /<EntityType Name="contact">/)
    assert.match(xml, /<Property Name="name" Type="Edm.String" MaxLength="160"\/>/)
    assert.match(xml, /<Property Name="numberofemployees" Type="Edm.Int32"\/>/)
    assert.match(xml, /<Property Name="revenue" Type="Edm.Decimal" Scale="2"\/>/)
    assert.match(xml, /<Property Name="donotemail" Type="Edm.Boolean"\/>/)
    assert.match(xml, /<Property Name="birthdate" Type="Edm.Date"\/>/)
    assert.match(xml, /<Property Name="createdon" Type="Edm.DateTimeOffset"\/>/)
    assert.match(xml, /<Property Name="versionnumber" Type="Edm.Int64"\/>/)
    assert.match(xml, /<Property Name="_primarycontactid_value" Type="Edm.Guid"\/>/)
    assert.match(xml, /<NavigationProperty Name="primarycontactid" Type="mscrm.contact">/)
    assert.match(xml, /<NavigationProperty Name="parentcustomerid_account" Type="mscrm.account">/)
    assert.match(
      xml,
      /<NavigationProperty Name="contact_parentcustomerid" Type="Collection\(mscrm.contact\)"\/>/,
    )
    assert.match(xml, /<EntitySet Name="accounts" EntityType="mscrm.account">/)
    assert.match(xml, /<NavigationPropertyBinding Path="primarycontactid" Target="contacts"\/>/)
    assert.match(xml, /<Function Name="WhoAmI">/)
    assert.match(xml, /<ComplexType Name="WhoAmIResponse">/)
  })

  it('answers WhoAmI and WhoAmI()', async () => {
    for (const path of ['WhoAmI', 'WhoAmI()']) {
      const res = await f.call('GET', path)
      assert.deepEqual(res.json, {
        '@odata.context': `${WEB_API}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
        BusinessUnitId: f.ids.businessUnitId,
        UserId: f.ids.systemUserId,
        OrganizationId: f.ids.organizationId,
      })
    }
    assert.equal((await f.call('GET', 'WhoAmI(x=1)')).status, 404)
  })

  it('reads EntityDefinitions by LogicalName and MetadataId, with $select', async () => {
    const all = await f.call('GET', 'EntityDefinitions', {
      query: { $select: 'LogicalName,EntitySetName' },
    })
    const account = (all.json['value'] as Row[]).find((e) => e['LogicalName'] === 'account')
    assert.deepEqual(Object.keys(account ?? {}).sort(), [
      'EntitySetName',
      'LogicalName',
      'MetadataId',
    ])
    const byName = await f.call('GET', "EntityDefinitions(LogicalName='account')")
    assert.equal(byName.status, 200)
    const e = byName.json
    assert.equal(e['EntitySetName'], 'accounts')
    assert.equal(e['PrimaryIdAttribute'], 'accountid')
    assert.equal(e['PrimaryNameAttribute'], 'name')
    assert.equal(e['OwnershipType'], 'UserOwned')
    assert.equal(e['IsCustomEntity'], false)
    assert.match(
      String(e['MetadataId']),
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    assert.equal(e['MetadataId'], account?.['MetadataId'])
    const byId = await f.call('GET', `EntityDefinitions(${String(e['MetadataId'])})`)
    assert.equal(byId.json['LogicalName'], 'account')
    const org = await f.call('GET', "EntityDefinitions(LogicalName='systemuser')/OwnershipType")
    assert.equal(org.json['value'], 'OrganizationOwned')
    assert.equal((await f.call('GET', "EntityDefinitions(LogicalName='nosuch')")).status, 404)
    assert.equal(
      (await f.call('GET', 'EntityDefinitions', { query: { $filter: 'IsCustomEntity eq true' } }))
        .status,
      400,
    )
    assert.equal(
      (await f.call('GET', 'EntityDefinitions', { query: { $select: 'Nope' } })).status,
      400,
    )
  })

  it('reads attributes with their Dataverse types', async () => {
    const res = await f.call('GET', "EntityDefinitions(LogicalName='account')/Attributes", {
      query: { $select: 'LogicalName,AttributeType' },
    })
    const attrs = res.json['value'] as Row[]
    const type = (name: string) => attrs.find((a) => a['LogicalName'] === name)?.['AttributeType']
    assert.equal(type('name'), 'String')
    assert.equal(type('description'), 'Memo')
    assert.equal(type('numberofemployees'), 'Integer')
    assert.equal(type('revenue'), 'Money')
    assert.equal(type('donotemail'), 'Boolean')
    assert.equal(type('industrycode'), 'Picklist')
    assert.equal(type('primarycontactid'), 'Lookup')
    assert.equal(type('ownerid'), 'Owner')
    assert.equal(type('accountid'), 'Uniqueidentifier')
    assert.equal(type('versionnumber'), 'BigInt')
    assert.equal(type('createdon'), 'DateTime')
    const name = await f.call(
      'GET',
      "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')",
    )
    assert.equal(name.json['@odata.type'], '#Microsoft.Dynamics.CRM.StringAttributeMetadata')
    assert.equal(name.json['MaxLength'], 160)
    assert.equal((name.json['RequiredLevel'] as Row)['Value'], 'None')
    const id = await f.call(
      'GET',
      "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')/MetadataId",
    )
    assert.equal(id.json['value'], name.json['MetadataId'])
    const customer = await f.call(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='parentcustomerid')",
    )
    assert.equal(customer.json['AttributeType'], 'Customer')
    assert.deepEqual(customer.json['Targets'], ['account', 'contact'])
    assert.equal(
      (await f.call('GET', "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='x')"))
        .status,
      404,
    )
  })
})
