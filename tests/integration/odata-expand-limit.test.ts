import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

// A collection-valued $expand can't grow a response without bound (ODataLimits.maxExpandedRows).
describe('OData $expand size limit', () => {
  let f: ODataFixture
  before(async () => {
    f = await odataFixture({ maxExpandedRows: 5 })
    const parent = await f.app.records.createRecord(
      f.env.id,
      'account',
      { name: 'Parent' },
      { actorId: f.ids.systemUserId },
    )
    for (let i = 0; i < 6; i++) {
      await f.app.records.createRecord(
        f.env.id,
        'contact',
        { firstname: `C${String(i)}`, parentcustomerid: parent },
        { actorId: f.ids.systemUserId },
      )
    }
  })
  after(async () => {
    await f.close()
  })

  it('refuses an expansion larger than the limit with a clear error', async () => {
    const res = await f.call('GET', 'accounts', {
      query: { $expand: 'contact_parentcustomerid($select=firstname)' },
    })
    assert.equal(res.status, 400)
    assert.match(JSON.stringify(res.body), /more than 5 rows/)
  })

  it('answers when $top on the expansion keeps it within the limit', async () => {
    const res = await f.call('GET', 'accounts', {
      query: { $expand: 'contact_parentcustomerid($select=firstname;$top=3)' },
    })
    assert.equal(res.status, 200)
  })
})
