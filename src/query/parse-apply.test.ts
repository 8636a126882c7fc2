import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TableDef } from '../records/model.ts'
import { AppError, type ErrorCode } from '../shared/errors.ts'
import { aggregateKey, buildAggregateQuery, groupKey } from './build-aggregate-query.ts'
import { parseApply } from './parse-apply.ts'
import { ACCOUNT, openDatabase, ROWS } from './sample-table.test.ts'

function assertCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError)
    assert.equal(e.code, code, e.message)
    if (message !== undefined) assert.match(e.message, message)
    return true
  })
}

describe('parseApply', () => {
  it('parses aggregate with every method and $count', () => {
    assert.deepEqual(
      parseApply(
        'aggregate(employees with sum as total,revenue with average as avg, createdon with max as latest,name with countdistinct as names,$count as n)',
        ACCOUNT,
      ),
      {
        groupBy: [],
        aggregates: [
          { kind: 'method', method: 'sum', column: 'employees', alias: 'total' },
          { kind: 'method', method: 'average', column: 'revenue', alias: 'avg' },
          { kind: 'method', method: 'max', column: 'createdon', alias: 'latest' },
          { kind: 'method', method: 'countdistinct', column: 'name', alias: 'names' },
          { kind: 'count', alias: 'n' },
        ],
      },
    )
  })

  it('parses groupby with and without aggregate, lookups as _x_value', () => {
    assert.deepEqual(parseApply('groupby((category,_ownerid_value))', ACCOUNT), {
      groupBy: [
        { column: 'category', output: 'category' },
        { column: 'ownerid', output: '_ownerid_value' },
      ],
      aggregates: [],
    })
    assert.deepEqual(
      parseApply('groupby((isactive),aggregate(revenue with sum as r,$count as n))', ACCOUNT),
      {
        groupBy: [{ column: 'isactive', output: 'isactive' }],
        aggregates: [
          { kind: 'method', method: 'sum', column: 'revenue', alias: 'r' },
          { kind: 'count', alias: 'n' },
        ],
      },
    )
  })

  it('ANDs filter steps, with quotes and parentheses inside string literals', () => {
    const apply = parseApply(
      "filter(name eq 'a)(b''c')/filter((employees gt 1 or employees lt -1))/aggregate($count as n)",
      ACCOUNT,
    )
    assert.equal(apply.filter?.kind, 'and')
    assert.deepEqual(apply.aggregates, [{ kind: 'count', alias: 'n' }])
  })

  it('takes parameter aliases in filter steps', () => {
    const apply = parseApply('filter(employees gt @p)/aggregate($count as n)', ACCOUNT, {
      '@p': '5',
    })
    assert.equal(apply.filter?.kind, 'compare')
  })

  it('refuses malformed $apply with QUERY_INVALID', () => {
    for (const text of [
      '',
      'aggregate(',
      'aggregate(employees with sum)',
      'aggregate(employees with total as x)',
      'aggregate(employees sum as x)',
      'aggregate($count as 1n)',
      'aggregate($count as n,$count as n)',
      'aggregate($count as n)/aggregate($count as m)',
      'aggregate($count as n)x',
      'filter(employees gt 1)',
      'filter(employees gt 1)aggregate($count as n)',
      'groupby(category)',
      'groupby((category),$count as n)',
      'groupby((category),aggregate($count as category))',
      'groupby((category,category))',
      'groupby((name),aggregate(name with sum as s))',
      'aggregate(name with average as a)',
      'aggregate(isactive with max as a)',
      'aggregate(description with countdistinct as d)',
      'groupby((createdon))',
      'groupby((description))',
      'groupby((tags))',
      "groupby((name'))",
      'groupby((name;drop table account))',
    ]) {
      assertCode(() => parseApply(text, ACCOUNT), 'QUERY_INVALID', /\$apply|\$filter/)
    }
  })

  it('refuses unknown transformations and unknown columns', () => {
    assertCode(() => parseApply('compute(x as y)', ACCOUNT), 'QUERY_UNSUPPORTED')
    assertCode(() => parseApply('topcount(1,name)', ACCOUNT), 'QUERY_UNSUPPORTED')
    assertCode(() => parseApply('groupby((nosuch))', ACCOUNT), 'COLUMN_NOT_FOUND')
    assertCode(() => parseApply('groupby((ownerid))', ACCOUNT), 'COLUMN_NOT_FOUND')
    assertCode(() => parseApply('aggregate(x with sum as s)', ACCOUNT), 'COLUMN_NOT_FOUND')
    assertCode(
      () => parseApply('filter(nosuch eq 1)/aggregate($count as n)', ACCOUNT),
      'COLUMN_NOT_FOUND',
    )
  })

  it('refuses encrypted columns anywhere in $apply', () => {
    const sealed: TableDef = {
      ...ACCOUNT,
      columns: ACCOUNT.columns.map((c) =>
        c.name === 'name' || c.name === 'employees'
          ? { ...c, options: { ...c.options, encrypted: true } }
          : c,
      ),
    }
    for (const text of [
      'groupby((name))',
      'aggregate(employees with sum as s)',
      'aggregate(name with countdistinct as s)',
    ]) {
      assertCode(() => parseApply(text, sealed), 'QUERY_ENCRYPTED_COLUMN')
    }
    assertCode(
      () => parseApply("filter(contains(name,'x'))/aggregate($count as n)", sealed),
      'QUERY_ENCRYPTED_COLUMN',
    )
  })

  it('enforces its limits', () => {
    const many = Array.from({ length: 17 }, (_, i) => `$count as n${String(i)}`).join(',')
    assertCode(() => parseApply(`aggregate(${many})`, ACCOUNT), 'QUERY_TOO_COMPLEX')
    assertCode(() => parseApply('x'.repeat(40_000), ACCOUNT), 'QUERY_TOO_COMPLEX')
    const steps = 'filter(employees gt 1)/'.repeat(5)
    assertCode(() => parseApply(`${steps}aggregate($count as n)`, ACCOUNT), 'QUERY_TOO_COMPLEX')
  })
})

describe('buildAggregateQuery', () => {
  it('computes aggregates and groups in SQL, ordered by the groupby columns', async () => {
    const { db } = await openDatabase()
    const total = await buildAggregateQuery(
      db,
      ACCOUNT,
      parseApply(
        'aggregate(employees with sum as s,employees with min as lo,employees with max as hi,employees with average as a,$count as n,category with countdistinct as c)',
        ACCOUNT,
      ),
    ).execute()
    assert.equal(total.length, 1)
    const row = total[0] ?? {}
    const employees = ROWS.flatMap((r) =>
      typeof r['employees'] === 'number' ? [r['employees']] : [],
    )
    assert.equal(
      row[aggregateKey(0)],
      employees.reduce((a, b) => a + b, 0),
    )
    assert.equal(row[aggregateKey(1)], Math.min(...employees))
    assert.equal(row[aggregateKey(2)], Math.max(...employees))
    assert.equal(row[aggregateKey(3)], employees.reduce((a, b) => a + b, 0) / employees.length)
    assert.equal(row[aggregateKey(4)], ROWS.length)
    assert.equal(
      row[aggregateKey(5)],
      new Set(ROWS.flatMap((r) => (r['category'] == null ? [] : [r['category']]))).size,
    )

    const grouped = await buildAggregateQuery(
      db,
      ACCOUNT,
      parseApply('filter(employees ne null)/groupby((isactive),aggregate($count as n))', ACCOUNT),
    ).execute()
    const expected = new Map<unknown, number>()
    for (const r of ROWS) {
      if (r['employees'] == null) continue
      const key = r['isactive'] ?? null
      expected.set(key, (expected.get(key) ?? 0) + 1)
    }
    assert.deepEqual(
      grouped.map((r) => [r[groupKey(0)], r[aggregateKey(0)]]),
      [...expected.entries()].sort((x, y) =>
        x[0] === null ? -1 : y[0] === null ? 1 : Number(x[0]) - Number(y[0]),
      ),
    )
    await db.destroy()
  })

  it('never puts a client alias in the SQL text', async () => {
    const { db } = await openDatabase()
    const compiled = buildAggregateQuery(
      db,
      ACCOUNT,
      parseApply('groupby((category),aggregate($count as evil_alias))', ACCOUNT),
    ).compile()
    assert.doesNotMatch(compiled.sql, /evil_alias/)
    await db.destroy()
  })
})
