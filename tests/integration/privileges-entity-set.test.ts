import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { privilegeIdOf } from '../../src/authz/index.ts'
import { odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

type Json = Record<string, unknown>

/** The read-only `privileges` entity set (docs/authz.md §3). */
describe('privileges: a read-only entity set of every privilege', () => {
  let f: ODataFixture
  const rows = (json: Json): Json[] => json['value'] as Json[]

  before(async () => {
    f = await odataFixture()
  })
  after(async () => {
    await f.close()
  })

  it('answers $filter and $select, with the ids roleprivileges uses', async () => {
    const res = await f.call('GET', 'privileges', {
      query: {
        $filter: "name eq 'prvReadaccount'",
        $select: 'name,accessright,canbebasic,canbelocal,canbedeep,canbeglobal',
      },
    })
    assert.equal(res.status, 200)
    const row: Json = rows(res.json).at(0) ?? {}
    assert.equal(rows(res.json).length, 1)
    assert.equal(row['privilegeid'], privilegeIdOf('prvReadaccount'))
    assert.equal(row['accessright'], 1)
    assert.deepEqual(
      [row['canbebasic'], row['canbelocal'], row['canbedeep'], row['canbeglobal']],
      [true, true, true, true],
    )
    assert.equal(row['createdon'], undefined)
    // Organization-owned tables and task privileges: Global only.
    const org = await f.call('GET', `privileges(${privilegeIdOf('prvWritebusinessunit')})`, {
      query: { $select: 'name,canbebasic,canbeglobal' },
    })
    assert.equal(org.status, 200)
    assert.deepEqual([org.json['canbebasic'], org.json['canbeglobal']], [false, true])
    const tasks = await f.call('GET', 'privileges', {
      query: { $filter: 'accessright eq 0', $select: 'name' },
    })
    assert.ok(rows(tasks.json).some((r) => r['name'] === 'prvActOnBehalfOfAnotherUser'))
    const shares = await f.call('GET', 'privileges/$count', {
      query: { $filter: "accessright eq 262144 and startswith(name,'prvShare')" },
    })
    assert.equal(shares.status, 200)
    // One Share privilege per table of the environment.
    const tables = await f.app.records.listTables(f.env.id)
    assert.equal(Number(shares.body), tables.length)
  })

  it('a new table brings its eight privileges', async () => {
    await f.app.records.createTable(f.env.id, { name: 'new_project', ownership: 'user' })
    const res = await f.call('GET', 'privileges', {
      query: { $filter: "endswith(name,'new_project')", $select: 'name', $orderby: 'name' },
    })
    assert.deepEqual(
      rows(res.json).map((r) => r['name']),
      ['Append', 'AppendTo', 'Assign', 'Create', 'Delete', 'Read', 'Share', 'Write'].map(
        (r) => `prv${r}new_project`,
      ),
    )
  })

  it('refuses POST, PATCH, PUT and DELETE with 405', async () => {
    const id = privilegeIdOf('prvReadaccount')
    for (const [method, path, body] of [
      ['POST', 'privileges', { name: 'prvInvented' }],
      ['PATCH', `privileges(${id})`, { name: 'renamed' }],
      ['PUT', `privileges(${id})/name`, { value: 'renamed' }],
      ['DELETE', `privileges(${id})`, undefined],
    ] as const) {
      const res = await f.call(method, path, body === undefined ? {} : { body })
      assert.equal(res.status, 405, `${method} ${path}`)
      assert.match(res.error?.message ?? '', /read-only/)
    }
    const still = await f.call('GET', `privileges(${id})`, { query: { $select: 'name' } })
    assert.equal(still.json['name'], 'prvReadaccount')
  })
})
