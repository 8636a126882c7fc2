import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { entityIdOf, odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

/**
 * The columns that make a team or a team template what it is can't be changed around the
 * domain functions through the generic Web API paths (docs/authz.md §16): PATCH, PUT of one
 * property, DELETE of one property, and an upsert; one team per Entra group whichever path
 * creates it.
 */
describe('Web API guards on team and team template columns', () => {
  let f: ODataFixture
  let team = ''
  let template = ''
  const bu = () => ({ 'businessunitid@odata.bind': `/businessunits(${f.ids.businessUnitId})` })

  before(async () => {
    f = await odataFixture()
    team = entityIdOf(
      await f.call('POST', 'teams', { body: { name: 'Owners', teamtype: 0, ...bu() } }),
    )
    const t = await f.call('POST', 'teamtemplates', {
      body: { teamtemplatename: 'Deal', objecttypecode: 'account', defaultaccessrightsmask: 1 },
    })
    assert.equal(t.status, 204, JSON.stringify(t.json))
    template = entityIdOf(t)
  })
  after(async () => {
    await f.close()
  })

  const refused = (
    answer: { status: number; error?: { code: string; message: string } },
    what: RegExp,
  ) => {
    assert.equal(answer.status, 400, JSON.stringify(answer))
    assert.equal(answer.error?.code, '0x80040203')
    assert.match(answer.error.message, what)
  }

  it("refuses changing a team's type or group binding after creation, by every path", async () => {
    const group = randomUUID()
    refused(
      await f.call('PATCH', `teams(${team})`, {
        body: { teamtype: 2, azureactivedirectoryobjectid: group },
      }),
      /teamtype/,
    )
    refused(
      await f.call('PATCH', `teams(${team})`, { body: { azureactivedirectoryobjectid: group } }),
      /azureactivedirectoryobjectid/,
    )
    refused(await f.call('PUT', `teams(${team})/teamtype`, { body: { value: 2 } }), /teamtype/)
    refused(await f.call('DELETE', `teams(${team})/teamtype`), /teamtype/)
    const row = await f.call('GET', `teams(${team})`, {
      query: { $select: 'teamtype,azureactivedirectoryobjectid' },
    })
    assert.equal(row.json['teamtype'], 0)
    assert.equal(row.json['azureactivedirectoryobjectid'], null)
    // Other columns stay writable.
    assert.equal(
      (await f.call('PATCH', `teams(${team})`, { body: { name: 'Owners 2' } })).status,
      204,
    )
  })

  it('refuses the system-managed access team columns on create and update', async () => {
    refused(
      await f.call('POST', 'teams', {
        body: { name: 'X', teamtype: 1, systemmanaged: true, ...bu() },
      }),
      /systemmanaged/,
    )
    refused(
      await f.call('POST', 'teams', {
        body: {
          name: 'X',
          teamtype: 1,
          'teamtemplateid@odata.bind': `/teamtemplates(${template})`,
          ...bu(),
        },
      }),
      /teamtemplateid/,
    )
    refused(
      await f.call('PATCH', `teams(${team})`, { body: { systemmanaged: true } }),
      /systemmanaged/,
    )
  })

  it('keeps one team per Entra group, whichever path creates it', async () => {
    const group = randomUUID()
    const first = await f.call('POST', 'teams', {
      body: { name: 'G1', teamtype: 2, azureactivedirectoryobjectid: group, ...bu() },
    })
    assert.equal(first.status, 204, JSON.stringify(first.json))
    const second = await f.call('POST', 'teams', {
      body: { name: 'G2', teamtype: 2, azureactivedirectoryobjectid: group, ...bu() },
    })
    assert.equal(second.status, 412, JSON.stringify(second.json))
    assert.equal(second.error?.code, '0x80040237')
  })

  it("refuses changing a template's table or setting a bad mask, by every path", async () => {
    refused(
      await f.call('PUT', `teamtemplates(${template})/objecttypecode`, {
        body: { value: 'contact' },
      }),
      /table can.t be changed/,
    )
    refused(
      await f.call('PATCH', `teamtemplates(${template})`, { body: { objecttypecode: 'contact' } }),
      /table/,
    )
    for (const mask of [0, -1, 1 << 25]) {
      refused(
        await f.call('PUT', `teamtemplates(${template})/defaultaccessrightsmask`, {
          body: { value: mask },
        }),
        /AccessRights/,
      )
    }
    assert.equal(
      (
        await f.call('PUT', `teamtemplates(${template})/defaultaccessrightsmask`, {
          body: { value: 3 },
        })
      ).status,
      204,
    )
    const row = await f.call('GET', `teamtemplates(${template})`, {
      query: { $select: 'objecttypecode,defaultaccessrightsmask' },
    })
    assert.equal(row.json['objecttypecode'], 'account')
    assert.equal(row.json['defaultaccessrightsmask'], 3)
  })
})
