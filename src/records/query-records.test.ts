import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { compileKeysetAfter, compileOrderBy, parseQueryOptions } from '../query/index.ts'
import { AppError } from '../shared/errors.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'
import type { RecordScope } from './record-scope.ts'

describe('queryRecords and countRecords', () => {
  let f: RecordsFixture
  const ids: string[] = []
  let parent: string
  const actor = () => ({ actorId: f.ids.systemUserId })
  const query = async (params: Record<string, string>, extra = {}) => {
    const table = await f.service.getTable(f.env, 'account')
    return f.service.queryRecords(f.env, 'account', parseQueryOptions(params, table), extra)
  }
  const count = async (params: Record<string, string>, scope?: RecordScope) => {
    const table = await f.service.getTable(f.env, 'account')
    return f.service.countRecords(
      f.env,
      'account',
      parseQueryOptions(params, table),
      scope === undefined ? {} : { scope },
    )
  }

  before(async () => {
    f = await createRecordsFixture()
    parent = await f.service.createRecord(f.env, 'account', { name: 'Parent' }, actor())
    for (let i = 0; i < 10; i++) {
      ids.push(
        await f.service.createRecord(
          f.env,
          'account',
          {
            name: `Acme ${i}`,
            revenue: i * 1000.25,
            numberofemployees: i,
            industrycode: (i % 3) + 1,
            donotemail: i % 2 === 0,
            parentaccountid: i < 3 ? parent : null,
            ...(i === 9 ? { ownerid: f.ids.defaultTeamId } : {}),
          },
          actor(),
        ),
      )
    }
  })
  after(async () => {
    await f.close()
  })

  it('filters, selects, orders and limits in SQL', async () => {
    const { records } = await query({
      $filter: 'revenue gt 2000.25 and donotemail eq true',
      $select: 'name,revenue',
      $orderby: 'revenue desc',
      $top: '2',
    })
    assert.deepEqual(
      records.map((r) => [r['name'], r['revenue']]),
      [
        ['Acme 8', 8002],
        ['Acme 6', 6001.5],
      ],
    )
    assert.deepEqual(Object.keys(records[0] ?? {}).sort(), [
      'accountid',
      'name',
      'revenue',
      'versionnumber',
    ])
  })

  it('filters on lookups, choices, strings and system columns', async () => {
    const byParent = await query({ $filter: `_parentaccountid_value eq ${parent}` })
    assert.equal(byParent.records.length, 3)
    const byChoice = await query({
      $filter: 'industrycode eq 2',
      $select: 'name',
      $orderby: 'name',
    })
    assert.deepEqual(
      byChoice.records.map((r) => r['name']),
      ['Acme 1', 'Acme 4', 'Acme 7'],
    )
    const byText = await query({ $filter: "startswith(name,'acme 1')" })
    assert.equal(byText.records.length, 1)
    const byOwner = await query({ $filter: `_ownerid_value eq ${f.ids.defaultTeamId}` })
    assert.equal(byOwner.records[0]?.['accountid'], ids[9])
    assert.equal(await count({ $filter: 'numberofemployees ge 5' }), 5)
    assert.equal(await count({}), 11)
  })

  it('pages with keyset predicates from lastRow', async () => {
    const table = await f.service.getTable(f.env, 'account')
    const options = parseQueryOptions(
      { $orderby: 'numberofemployees desc', $select: 'name' },
      table,
    )
    const terms = compileOrderBy(options.orderBy, table)
    const seen: string[] = []
    let where
    for (;;) {
      const page = await f.service.queryRecords(f.env, 'account', options, {
        limit: 4,
        ...(where === undefined ? {} : { where }),
      })
      seen.push(...page.records.map((r) => String(r['name'])))
      if (page.lastRow === undefined || page.records.length < 4) break
      const last = page.lastRow
      where = compileKeysetAfter(
        terms,
        terms.map((t) => last[t.column]),
      )
    }
    assert.equal(seen.length, 11)
    assert.deepEqual(seen.slice(0, 3), ['Acme 9', 'Acme 8', 'Acme 7'])
  })

  it('a scope predicate restricts every read and write', async () => {
    const mine = f.ids.systemUserId
    const scope: RecordScope = { where: (eb) => eb('ownerid', '=', mine) }
    const teamOwned = ids[9] as string
    assert.equal(await count({}, scope), 10)
    const { records } = await query({}, { scope })
    assert.ok(!records.some((r) => r['accountid'] === teamOwned))
    await assert.rejects(f.service.retrieveRecord(f.env, 'account', teamOwned, { scope }), {
      code: 'RECORD_NOT_FOUND',
    })
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', teamOwned, { name: 'x' }, { ...actor(), scope }),
      { code: 'RECORD_NOT_FOUND' },
    )
    const denying: RecordScope = {
      ...scope,
      denied: (operation) => new AppError('INVALID_STATE', `no ${operation} access`),
    }
    await assert.rejects(
      f.service.deleteRecord(f.env, 'account', teamOwned, { ...actor(), scope: denying }),
      { code: 'INVALID_STATE', message: 'no delete access' },
    )
    await assert.rejects(
      f.service.retrieveRecord(f.env, 'account', randomUUID(), { scope: denying }),
      { code: 'RECORD_NOT_FOUND' },
    )
    await assert.rejects(
      f.service.createRecord(
        f.env,
        'account',
        { name: 'team', ownerid: f.ids.defaultTeamId },
        { ...actor(), scope: denying },
      ),
      { code: 'INVALID_STATE', message: 'no create access' },
    )
    const visible = await f.service.retrieveRecord(f.env, 'account', ids[0] as string, { scope })
    assert.equal(visible['name'], 'Acme 0')
    assert.equal((await f.service.retrieveRecord(f.env, 'account', teamOwned))['name'], 'Acme 9')
  })

  it('reports query errors from the compiler', async () => {
    await assert.rejects(query({ $filter: 'nosuch eq 1' }), { code: 'COLUMN_NOT_FOUND' })
    await assert.rejects(query({ $filter: "name eq 1'" }), (e: AppError) =>
      e.code.startsWith('QUERY'),
    )
  })
})
