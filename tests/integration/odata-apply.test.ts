import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Caller } from '../../src/api/context.ts'
import {
  loadSecurityContext,
  privilegeIdOf,
  privilegeName,
  securityRowsOf,
} from '../../src/authz/index.ts'
import { odataFixture, WEB_API, type ODataFixture } from '../helpers/odata-fixture.ts'

type Row = Record<string, unknown>
const value = (json: Row): Row[] => json['value'] as Row[]

/**
 * $apply (dataverse-spec §7): aggregates and groupby computed in SQL, over exactly the rows the
 * caller may read, with filter steps, $top, the 50,000-record cap (3 here) and the clear
 * errors for what doesn't combine.
 */
describe('OData $apply: aggregates and groupby under the record scope', () => {
  let f: ODataFixture
  let small: ODataFixture
  let bob: Caller
  const id: Record<string, string> = {}

  before(async () => {
    f = await odataFixture()
    small = await odataFixture({ maxAggregateRecords: 3 })
    const actor = { actorId: f.ids.systemUserId }
    const create = (table: string, data: Record<string, unknown>) =>
      f.app.records.createRecord(f.env.id, table, data, actor)
    id['bob'] = await create('systemuser', {
      fullname: 'bob',
      businessunitid: f.ids.businessUnitId,
    })
    id['role'] = await create('role', {
      name: 'Own accounts',
      businessunitid: f.ids.businessUnitId,
    })
    await create('roleprivileges', {
      roleid: id['role'],
      privilegeid: privilegeIdOf(privilegeName('Read', 'account')),
      privilegedepthmask: 1,
    })
    await create('systemuserroles', { systemuserid: id['bob'], roleid: id['role'] })
    const accounts: [string, number | null, number | null, number | null, string | undefined][] = [
      ['A1', 10, 100.5, 1, id['bob']],
      ['A2', 20, 200.25, 1, id['bob']],
      ['A3', 30, null, 2, id['bob']],
      ['B1', 1000, 5000, 2, undefined],
      ['B2', null, 7000, null, undefined],
    ]
    for (const [name, employees, revenue, industry, owner] of accounts) {
      await create('account', {
        name,
        numberofemployees: employees,
        revenue,
        industrycode: industry,
        ...(owner === undefined ? {} : { ownerid: owner }),
      })
    }
    for (const name of ['S1', 'S2', 'S3', 'S4']) {
      await small.app.records.createRecord(
        small.env.id,
        'account',
        { name },
        {
          actorId: small.ids.systemUserId,
        },
      )
    }
    const { security, roleNames } = await loadSecurityContext(
      securityRowsOf(f.app.records, f.env.id),
      { systemUserId: id['bob'] ?? '', businessUnitId: f.ids.businessUnitId },
    )
    bob = {
      systemUserId: id['bob'] ?? '',
      businessUnitId: f.ids.businessUnitId,
      roles: roleNames,
      security,
    }
  })
  after(async () => {
    await f.close()
    await small.close()
  })

  const apply = (text: string, caller?: Caller, extra: Record<string, string> = {}) =>
    f.call('GET', 'accounts', {
      query: { $apply: text, ...extra },
      ...(caller === undefined ? {} : { caller }),
    })

  it('aggregates every method over every readable row', async () => {
    const a = await apply(
      'aggregate(numberofemployees with sum as total,numberofemployees with average as avg,numberofemployees with min as lo,numberofemployees with max as hi,revenue with sum as revenue_sum,revenue with average as revenue_avg,industrycode with countdistinct as industries,$count as n)',
    )
    assert.equal(a.status, 200, JSON.stringify(a.json))
    assert.equal(a.json['@odata.context'], `${WEB_API}$metadata#accounts`)
    assert.deepEqual(value(a.json), [
      {
        total: 1060,
        avg: 265,
        lo: 10,
        hi: 1000,
        revenue_sum: 12300.75,
        revenue_avg: 12300.75 / 4,
        industries: 2,
        n: 5,
      },
    ])
  })

  it('counts and sums only the records the caller may read (the scope is in the SQL)', async () => {
    const a = await apply('aggregate(numberofemployees with sum as total,$count as n)', bob)
    assert.equal(a.status, 200, JSON.stringify(a.json))
    assert.deepEqual(value(a.json), [{ total: 60, n: 3 }])
    const g = await apply('groupby((_ownerid_value),aggregate($count as n))', bob)
    assert.deepEqual(value(g.json), [{ _ownerid_value: id['bob'], n: 3 }])
  })

  it('groups, ordered by the groupby properties, nulls first', async () => {
    const g = await apply('groupby((industrycode),aggregate($count as n,revenue with max as top))')
    assert.equal(g.status, 200, JSON.stringify(g.json))
    assert.deepEqual(value(g.json), [
      { industrycode: null, n: 1, top: 7000 },
      { industrycode: 1, n: 2, top: 200.25 },
      { industrycode: 2, n: 2, top: 5000 },
    ])
    const distinct = await apply('groupby((industrycode))')
    assert.deepEqual(value(distinct.json), [
      { industrycode: null },
      { industrycode: 1 },
      { industrycode: 2 },
    ])
  })

  it('applies filter steps, parameter aliases and $top', async () => {
    const a = await apply(
      "filter(numberofemployees ge @min)/filter(startswith(name,'A'))/aggregate($count as n)",
      undefined,
      { '@min': '20' },
    )
    assert.deepEqual(value(a.json), [{ n: 2 }])
    const top = await apply('groupby((industrycode))', undefined, { $top: '2' })
    assert.equal(value(top.json).length, 2)
    const none = await apply(
      "filter(name eq 'nobody')/aggregate(revenue with sum as s,$count as n)",
    )
    assert.deepEqual(value(none.json), [{ s: null, n: 0 }])
  })

  it('refuses options that do not combine with $apply', async () => {
    for (const extra of [
      { $filter: "name eq 'A1'" },
      { $select: 'name' },
      { $orderby: 'name' },
      { $count: 'true' },
      { $expand: 'primarycontactid' },
    ]) {
      const a = await apply('aggregate($count as n)', undefined, extra)
      assert.equal(a.status, 400, JSON.stringify(extra))
      assert.match(a.error?.message ?? '', /\$apply/)
    }
    const count = await f.call('GET', 'accounts/$count', {
      query: { $apply: 'aggregate($count as n)' },
    })
    assert.equal(count.status, 400)
  })

  it('answers malformed $apply with 400 and the Dataverse query code, never a 500', async () => {
    for (const text of [
      'aggregate(',
      'aggregate(name with sum as s)',
      'groupby((createdon))',
      'compute(x)',
      "filter(name eq 'x'/aggregate($count as n)",
      'aggregate($count as n);drop table account',
    ]) {
      const a = await apply(text)
      assert.equal(a.status, 400, text)
      assert.match(a.error?.code ?? '', /^0x8006088[8a]$/, text)
    }
  })

  it('refuses an aggregation over more records than the limit, and allows one within it', async () => {
    const over = await small.call('GET', 'accounts', {
      query: { $apply: 'aggregate($count as n)' },
    })
    assert.equal(over.status, 400)
    assert.equal(over.error?.code, '0x8004e023')
    assert.match(over.error.message, /more than 3 records/)
    const within = await small.call('GET', 'accounts', {
      query: { $apply: "filter(startswith(name,'S'))/filter(name ne 'S4')/aggregate($count as n)" },
    })
    assert.equal(within.status, 200, JSON.stringify(within.json))
    assert.deepEqual(value(within.json), [{ n: 3 }])
  })
})
