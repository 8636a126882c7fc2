import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { AppError } from '../shared/errors.ts'
import { buildCountQuery } from './build-count-query.ts'
import { buildSelectQuery } from './build-select-query.ts'
import { escapeLike } from './compile-filter.ts'
import { compileKeysetAfter } from './compile-keyset.ts'
import { compileOrderBy } from './compile-order-by.ts'
import type { DynamicDb } from './dynamic-db.ts'
import { parseQueryOptions } from './parse-query-options.ts'
import { ACCOUNT, ROWS, guid, idsOf, openDatabase } from './sample-table.test.ts'

// STYLE §8: named security regression suite. Every hostile input must end in a clear
// AppError or a correct, harmless result; values only ever travel as bound parameters.

const HOSTILE_NAME = "Robert'); DROP TABLE account;--"
const QUERY_CODES = /^(QUERY_INVALID|QUERY_UNSUPPORTED|QUERY_TOO_COMPLEX|COLUMN_NOT_FOUND)$/

/** Hostile string values, each written as a correctly escaped OData literal. */
const HOSTILE_VALUES = [
  "'; DROP TABLE account; --",
  "' OR 1=1 --",
  "' OR '1'='1",
  '" OR ""="',
  'x’ OR 1=1 --',
  '‘ OR ‘1’=‘1',
  'x\\',
  "x\\' OR 1=1 --",
  '%',
  '_',
  '%%',
  '\\%',
  '*/ OR 1=1 /*',
  '$1',
  '?',
  ':name',
  '; SELECT * FROM sqlite_master',
  "Robert'); DROP TABLE account;--",
]
const odataString = (value: string): string => `'${value.replaceAll("'", "''")}'`

/** Inputs that are not valid OData and must be rejected. */
const HOSTILE_FILTERS = [
  "name eq ''; DROP TABLE account; --'",
  "name eq '' OR 1=1 --'",
  "name eq 'x' or 1=1",
  "name eq 'x' or 1 eq 1",
  'name eq ’ OR 1=1 --',
  "name eq 'x\\' or 1 eq 1 --'",
  "name eq 'a'\u0000",
  "name;drop eq 'x'",
  "name; DROP TABLE account eq 'x'",
  '"name" eq \'x\'',
  "`name` eq 'x'",
  "[name] eq 'x'",
  "name-- eq 'x'",
  "name/**/eq 'x'",
  "name eq 'x' -- comment",
  "name eq 'x' /* c */",
  "lower(name) eq 'x'",
  "sqlite_master eq 'x'",
  'name eq (select name from account)',
  "name eq 'x'; DELETE FROM account",
  "name in ('a','b')",
  "contains(name,'x') or contains(name;drop,'y')",
  "contains(name,'x');DROP TABLE account",
  'name eq @p1',
]

const HOSTILE_ORDER_BY = [
  'name; DELETE FROM account',
  'name desc; DROP TABLE account',
  '(select 1)',
  'name collate nocase',
  '1',
  'name asc nulls last',
  '"name"',
  'name--',
  'name/**/desc',
  'random()',
  '@p1',
]

const HOSTILE_SELECT = [
  'name,"accountid"',
  'name from account; --',
  '*',
  'name as x',
  'sqlite_master',
  'name;drop',
  'name--',
  'count(*)',
  "name,'x'",
]

describe('sql-injection', () => {
  let db: Kysely<DynamicDb>
  before(async () => {
    db = (await openDatabase(ACCOUNT, [...ROWS, { accountid: guid(99), name: HOSTILE_NAME }])).db
  })
  after(async () => {
    await db.destroy()
  })

  const rowCount = async (): Promise<number> => {
    const rows = await db.selectFrom('account').select('accountid').execute()
    return rows.length
  }

  /** Runs the request; returns the ids or the AppError code. Anything else fails the test. */
  const attempt = async (params: Record<string, string>): Promise<number[] | string> => {
    try {
      const options = parseQueryOptions(params, ACCOUNT)
      const query = buildSelectQuery(db, ACCOUNT, options)
      return idsOf(await query.execute())
    } catch (e) {
      assert.ok(e instanceof AppError, `non-AppError: ${String(e)}`)
      assert.match(e.code, QUERY_CODES)
      assert.ok(!e.message.includes('DROP TABLE account;'), 'message echoes the payload')
      return e.code
    }
  }

  for (const value of HOSTILE_VALUES) {
    it(`matches the hostile value ${JSON.stringify(value)} literally, as a parameter`, async () => {
      const lower = value.toLowerCase()
      // Fixture descriptions never start with a hostile value, so only names can match.
      const cases: readonly (readonly [string, (name: string) => boolean])[] = [
        [`name eq ${odataString(value)}`, (name) => name === lower],
        [`contains(name,${odataString(value)})`, (name) => name.includes(lower)],
        [
          `startswith(description,${odataString(value)}) or endswith(name,${odataString(value)})`,
          (name) => name.endsWith(lower),
        ],
      ]
      for (const [filter, matches] of cases) {
        const options = parseQueryOptions({ $filter: filter }, ACCOUNT)
        const compiled = buildSelectQuery(db, ACCOUNT, options).compile()
        const benign = parseQueryOptions(
          { $filter: filter.replaceAll(odataString(value), "'x'") },
          ACCOUNT,
        )
        // Same SQL text as for a harmless value: the value changed nothing but a parameter.
        assert.equal(compiled.sql, buildSelectQuery(db, ACCOUNT, benign).compile().sql)
        assert.ok(
          compiled.parameters.some(
            (p) => p === value || p === `%${escapeLike(value)}%` || p === `%${escapeLike(value)}`,
          ),
          'value is not a parameter',
        )
        const expected = [...ROWS, { accountid: guid(99), name: HOSTILE_NAME }]
          .filter((row) => matches(String(row['name']).toLowerCase()))
          .map((row) => idsOf([row])[0])
        assert.deepEqual(idsOf(await buildSelectQuery(db, ACCOUNT, options).execute()), expected)
      }
      assert.equal(await rowCount(), ROWS.length + 1)
    })
  }

  it('rejects NUL inside string literals (SQLite lower() and LIKE stop at NUL)', async () => {
    assert.equal(await attempt({ $filter: "name eq 'a\u0000b'" }), 'QUERY_INVALID')
    assert.equal(await attempt({ $filter: "contains(name,'\u0000')" }), 'QUERY_INVALID')
    assert.equal(await attempt({ $filter: 'name eq @p1', '@p1': "'\u0000'" }), 'QUERY_INVALID')
  })

  it('finds the stored hostile name exactly and by alias', async () => {
    assert.deepEqual(await attempt({ $filter: `name eq ${odataString(HOSTILE_NAME)}` }), [99])
    assert.deepEqual(
      await attempt({ $filter: 'name eq @p1', '@p1': odataString(HOSTILE_NAME) }),
      [99],
    )
    assert.deepEqual(await attempt({ $filter: "contains(name,'); drop')" }), [99])
  })

  for (const filter of HOSTILE_FILTERS) {
    it(`rejects $filter ${JSON.stringify(filter)}`, async () => {
      const result = await attempt({ $filter: filter })
      assert.equal(typeof result, 'string', `accepted: ${JSON.stringify(result)}`)
      assert.equal(await rowCount(), ROWS.length + 1)
    })
  }

  for (const orderby of HOSTILE_ORDER_BY) {
    it(`rejects $orderby ${JSON.stringify(orderby)}`, async () => {
      const result = await attempt({ $orderby: orderby, '@p1': 'name; DELETE FROM account' })
      assert.equal(typeof result, 'string', `accepted: ${JSON.stringify(result)}`)
      assert.equal(await rowCount(), ROWS.length + 1)
    })
  }

  for (const select of HOSTILE_SELECT) {
    it(`rejects $select ${JSON.stringify(select)}`, async () => {
      const result = await attempt({ $select: select })
      assert.equal(typeof result, 'string', `accepted: ${JSON.stringify(result)}`)
      assert.equal(await rowCount(), ROWS.length + 1)
    })
  }

  it('rejects hostile aliases, $top and option names', async () => {
    for (const params of [
      { $filter: 'name eq @p1', '@p1': "'x'; DROP TABLE account" },
      { $filter: 'name eq @p1', '@p1': "'x' or 1 eq 1" },
      { $filter: 'name eq @p1', '@p1': 'name; drop' },
      { $filter: 'name eq @p1', '@p1;drop': "'x'" },
      { $top: '1; DROP TABLE account' },
      { $top: '1 OR 1=1' },
      { $count: 'true; DROP TABLE account' },
      { '$filter;drop': "name eq 'x'" },
    ]) {
      const result = await attempt(params)
      assert.equal(typeof result, 'string', `accepted ${JSON.stringify(params)}`)
    }
    assert.equal(await rowCount(), ROWS.length + 1)
  })

  it('binds hostile keyset cursor values as parameters', async () => {
    const terms = compileOrderBy([{ column: 'name', direction: 'asc' }], ACCOUNT)
    const keyset = compileKeysetAfter(terms, ["'; DROP TABLE account; --", "' OR 1=1 --"])
    const query = buildSelectQuery(db, ACCOUNT, { count: false }, keyset)
    const compiled = query.compile()
    assert.ok(!compiled.sql.includes('DROP'))
    assert.ok(!compiled.sql.includes('OR 1=1'))
    await query.execute()
    const [count] = await buildCountQuery(db, ACCOUNT, { count: true }, keyset).execute()
    assert.equal(typeof count?.count, 'number')
    assert.equal(await rowCount(), ROWS.length + 1)
  })

  it('leaves the schema intact', async () => {
    const tables = await db
      .selectFrom('sqlite_master')
      .select('name')
      .where('type', '=', 'table')
      .execute()
    assert.deepEqual(tables, [{ name: 'account' }])
    assert.equal(await rowCount(), ROWS.length + 1)
  })
})
