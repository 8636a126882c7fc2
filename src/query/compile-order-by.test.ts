import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Kysely } from 'kysely'
import type { TableDef } from '../records/model.ts'
import { AppError } from '../shared/errors.ts'
import { buildCountQuery } from './build-count-query.ts'
import { buildSelectQuery } from './build-select-query.ts'
import { compileKeysetAfter } from './compile-keyset.ts'
import { compileOrderBy } from './compile-order-by.ts'
import { compileSelect } from './compile-select.ts'
import type { DynamicDb } from './dynamic-db.ts'
import { MAX_COUNT, MAX_TOP } from './limits.ts'
import { parseOrderBy } from './parse-order-by.ts'
import { parseQueryOptions } from './parse-query-options.ts'
import { ACCOUNT, guid, idsOf, openDatabase, type StoredRow } from './sample-table.test.ts'
import type { StorageValue } from './to-storage-value.ts'

describe('compileOrderBy and buildSelectQuery against SQLite', () => {
  let db: Kysely<DynamicDb>
  before(async () => {
    db = (await openDatabase()).db
  })
  after(async () => {
    await db.destroy()
  })

  const ids = async (params: Record<string, string>): Promise<number[]> =>
    idsOf(await buildSelectQuery(db, ACCOUNT, parseQueryOptions(params, ACCOUNT)).execute())

  it('sorts text case-insensitively', async () => {
    assert.deepEqual(await ids({ $orderby: 'name' }), [3, 1, 2, 4, 5, 6])
    assert.deepEqual(await ids({ $orderby: 'name desc' }), [6, 5, 4, 2, 1, 3])
  })

  it('puts nulls first ascending and last descending', async () => {
    assert.deepEqual(await ids({ $orderby: 'revenue' }), [3, 6, 5, 4, 1, 2])
    assert.deepEqual(await ids({ $orderby: 'revenue desc' }), [2, 1, 4, 5, 6, 3])
  })

  it('breaks ties by the primary id', async () => {
    assert.deepEqual(await ids({ $orderby: 'employees' }), [3, 1, 5, 2, 4, 6])
    assert.deepEqual(await ids({ $orderby: 'employees desc' }), [6, 4, 2, 1, 5, 3])
    assert.deepEqual(await ids({ $orderby: 'isactive desc,employees desc' }), [6, 4, 1, 2, 5, 3])
    assert.deepEqual(await ids({}), [1, 2, 3, 4, 5, 6])
  })

  it('does not add the id twice when $orderby names it', () => {
    const terms = compileOrderBy(parseOrderBy('accountid desc', ACCOUNT), ACCOUNT)
    assert.deepEqual(
      terms.map((t) => [t.column, t.direction]),
      [['accountid', 'desc']],
    )
  })

  it('applies $top, with MAX_TOP by default', async () => {
    assert.deepEqual(await ids({ $orderby: 'name', $top: '2' }), [3, 1])
    assert.deepEqual(await ids({ $top: '0' }), [])
    const compiled = buildSelectQuery(db, ACCOUNT, { count: false }).compile()
    assert.equal(compiled.parameters.at(-1), MAX_TOP)
  })

  it('selects the $select columns plus the id and the sort columns', async () => {
    const rows = await buildSelectQuery(
      db,
      ACCOUNT,
      parseQueryOptions({ $select: 'name', $orderby: 'revenue desc', $top: '1' }, ACCOUNT),
    ).execute()
    assert.deepEqual(rows, [{ name: 'contoso east', accountid: guid(2), revenue: 1051 }])
    assert.deepEqual(compileSelect(['name'], ACCOUNT), ['name', 'accountid'])
    assert.deepEqual(
      compileSelect(undefined, ACCOUNT),
      ACCOUNT.columns.map((c) => c.name),
    )
  })

  it('ANDs extraWhere (row-level security) with $filter', async () => {
    const options = parseQueryOptions(
      { $filter: "startswith(name,'c') or employees eq 30" },
      ACCOUNT,
    )
    const mine = (owner: string) =>
      buildSelectQuery(db, ACCOUNT, options, (eb) => eb('account.ownerid', '=', owner)).execute()
    assert.deepEqual(idsOf(await mine(guid(100))), [1, 2])
    assert.deepEqual(idsOf(await mine(guid(101))), [4])
  })

  it('counts matching rows, ignoring $top', async () => {
    const options = parseQueryOptions({ $filter: 'employees ge 10', $top: '1' }, ACCOUNT)
    const [row] = await buildCountQuery(db, ACCOUNT, options).execute()
    assert.equal(row?.count, 5)
    const [mine] = await buildCountQuery(db, ACCOUNT, options, (eb) =>
      eb('account.ownerid', '=', guid(100)),
    ).execute()
    assert.equal(mine?.count, 3)
  })
})

describe('buildCountQuery cap', () => {
  it(`stops counting at ${MAX_COUNT + 1}`, async () => {
    const rows: StoredRow[] = Array.from({ length: MAX_COUNT + 20 }, (_, i) => ({
      accountid: guid(i + 1),
      name: `n${i}`,
    }))
    const { db } = await openDatabase(ACCOUNT, [])
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('account')
        .values(rows.slice(i, i + 500))
        .execute()
    }
    const [all] = await buildCountQuery(db, ACCOUNT, { count: true }).execute()
    assert.equal(all?.count, MAX_COUNT + 1)
    const [few] = await buildCountQuery(
      db,
      ACCOUNT,
      parseQueryOptions({ $filter: "startswith(name,'n10')" }, ACCOUNT),
    ).execute()
    assert.equal(few?.count, 111)
    await db.destroy()
  })
})

describe('compileKeysetAfter', () => {
  it('rejects cursors that do not fit the sort terms', () => {
    const terms = compileOrderBy(parseOrderBy('name', ACCOUNT), ACCOUNT)
    for (const bad of [[], ['a'], ['a', 'b', 'c'], [{}, 'b'], [Number.NaN, 'b'], [true, 'b']]) {
      assert.throws(
        () => compileKeysetAfter(terms, bad),
        (e: unknown) => e instanceof AppError && e.code === 'QUERY_INVALID',
      )
    }
  })

  const PAGED: TableDef = {
    ...ACCOUNT,
    columns: ACCOUNT.columns.filter((c) =>
      ['accountid', 'name', 'employees', 'revenue', 'isactive', 'createdon'].includes(c.name),
    ),
  }
  const rowArb = fc.record({
    name: fc.constantFrom('a', 'A', 'b', 'B', 'ab', 'É', 'é', 'z'),
    employees: fc.option(fc.integer({ min: -2, max: 2 }), { nil: null }),
    revenue: fc.option(fc.constantFrom(-100, 0, 150), { nil: null }),
    isactive: fc.option(fc.constantFrom(0, 1), { nil: null }),
    createdon: fc.option(fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z'), {
      nil: null,
    }),
  })
  const orderArb = fc
    .uniqueArray(
      fc.constantFrom('name', 'employees', 'revenue', 'isactive', 'createdon', 'accountid'),
      {
        minLength: 0,
        maxLength: 4,
      },
    )
    .chain((columns) =>
      fc
        .array(fc.constantFrom('asc', 'desc'), {
          minLength: columns.length,
          maxLength: columns.length,
        })
        .map((directions) => columns.map((c, i) => `${c} ${directions[i] ?? 'asc'}`).join(',')),
    )

  it('pages through any data in exactly the order of the full query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 0, maxLength: 25 }),
        orderArb,
        fc.integer({ min: 1, max: 5 }),
        async (data, orderby, pageSize) => {
          const rows = data.map((row, i) => ({ ...row, accountid: guid(i + 1) }))
          const { db } = await openDatabase(PAGED, rows)
          try {
            const params = orderby === '' ? {} : { $orderby: orderby }
            const options = parseQueryOptions(params, PAGED)
            const expected = idsOf(await buildSelectQuery(db, PAGED, options).execute())
            const terms = compileOrderBy(options.orderBy, PAGED)
            const seen: number[] = []
            let cursor: StorageValue[] | undefined
            for (let page = 0; page <= rows.length; page++) {
              const keyset = cursor === undefined ? undefined : compileKeysetAfter(terms, cursor)
              const result = await buildSelectQuery(db, PAGED, options, keyset)
                .limit(pageSize)
                .execute()
              seen.push(...idsOf(result))
              const last = result.at(-1)
              if (result.length < pageSize || last === undefined) break
              cursor = terms.map((t) => last[t.column] as StorageValue)
            }
            assert.deepEqual(seen, expected, orderby)
          } finally {
            await db.destroy()
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})
