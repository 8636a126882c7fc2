import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { AppError } from '../shared/errors.ts'
import { buildSelectQuery } from './build-select-query.ts'
import { compileFilter, escapeLike } from './compile-filter.ts'
import type { DynamicDb } from './dynamic-db.ts'
import { parseFilter } from './parse-filter.ts'
import { ACCOUNT, idsOf, openDatabase } from './sample-table.test.ts'

describe('compileFilter against SQLite', () => {
  let db: Kysely<DynamicDb>
  before(async () => {
    db = (await openDatabase()).db
  })
  after(async () => {
    await db.destroy()
  })

  const ids = async (filter: string, aliases: Record<string, string> = {}): Promise<number[]> => {
    const options = {
      count: false,
      filter: parseFilter(filter, ACCOUNT, aliases),
      orderBy: [{ column: 'accountid', direction: 'asc' as const }],
    }
    return idsOf(await buildSelectQuery(db, ACCOUNT, options).execute())
  }

  const cases: readonly (readonly [string, readonly number[]])[] = [
    // string comparisons are case-insensitive
    ["name eq 'CONTOSO'", [1]],
    ["'contoso' eq name", [1]],
    ["name eq 'Contoso East'", [2]],
    ["name ne 'contoso'", [2, 3, 4, 5, 6]],
    ["name gt 'd'", [4, 5, 6]],
    ["name le 'contoso east'", [1, 2, 3]],
    // ne and not follow SQL: nulls never match
    ["description ne 'makes widgets'", [3, 4, 5]],
    ["not (description eq 'makes widgets')", [3, 4, 5]],
    ['description eq null', [2, 6]],
    ['description ne null', [1, 3, 4, 5]],
    // string functions: case-insensitive, wildcards and backslash literal
    ["contains(name,'CONTOSO')", [1, 2]],
    ["startswith(name,'fab')", [4, 5]],
    ["endswith(name,'EAST')", [2]],
    ["contains(name,'%')", [3]],
    ["contains(name,'100%')", [3]],
    ["startswith(name,'%')", []],
    ["contains(name,'_')", [4]],
    ["startswith(name,'Fabrikam_')", [4]],
    ["endswith(name,'m_1')", [4]],
    ["contains(description,'\\')", [4]],
    ["contains(description,'k\\s')", [4]],
    ["contains(description,'''')", [3]],
    ["contains(description,'o''neil')", [3]],
    ["contains(name,'')", [1, 2, 3, 4, 5, 6]],
    ["not contains(name,'contoso')", [3, 4, 5, 6]],
    // SQLite folds ASCII only (documented in column-ref.ts)
    ["name eq 'ÉCOLE litware'", [6]],
    ["name eq 'école litware'", []],
    ["contains(description,'École')", [5]],
    // currency precision 2: stored * 100
    ['revenue gt 10.5', [2]],
    ['revenue ge 10.5', [1, 2]],
    ['revenue eq 10.50', [1]],
    ['revenue eq 1050e-2', [1]],
    ['revenue eq 10.505', []],
    ['revenue ne 10.505', [1, 2, 4, 5, 6]],
    ['revenue lt 10.495', [4, 5, 6]],
    ['revenue le 10.49', [4, 5, 6]],
    ['revenue lt -4.999', [6]],
    ['revenue le -5', [6]],
    ['10.5 lt revenue', [2]],
    // currency precision 4, decimal default precision 2
    ['price eq 1.2345', [1]],
    ['price gt 9', [4]],
    ['ratio eq 1.5', [1]],
    ['ratio eq -1.5', [2]],
    ['ratio lt 0', [2]],
    ['ratio eq 0.01', [5]],
    ['ratio eq 0.25e1', []],
    ['ratio eq 0.25e0', [6]],
    // whole numbers, bigints beyond 2^53, floats
    ['employees eq 10', [1, 5]],
    ['employees ne 10', [2, 4, 6]],
    ['employees gt 15.5', [2, 4, 6]],
    ['employees ge 1e1', [1, 2, 4, 5, 6]],
    ['15 lt employees', [2, 4, 6]],
    ['bignumber eq 9007199254740993', [1]],
    ['bignumber eq 9007199254740992', []],
    ['bignumber gt 9007199254740992', [1]],
    ['score gt 1.5', [5, 6]],
    ['score eq 100.25', [5]],
    ['score le -2', [2]],
    // booleans 0/1
    ['isactive eq true', [1, 4, 6]],
    ['isactive eq false', [2, 5]],
    ['isactive ne true', [2, 5]],
    ['isactive eq null', [3]],
    // datetimes: UTC text, offsets normalised, date means midnight UTC
    ['createdon gt 2024-01-31T10:00:00Z', [2, 4]],
    ['createdon eq 2024-01-31T10:00:00.000Z', [1]],
    ['createdon ge 2024-01-31', [1, 2, 4, 5]],
    ['createdon lt 2024-01-31T11:00:00+01:00', [3, 5]],
    ['createdon eq 2024-01-31T05:00:00-05:00', [1]],
    ['createdon eq null', [6]],
    // sub-second literals against whole-second storage
    ['createdon lt 2024-01-31T10:00:00.5Z', [1, 3, 5]],
    ['createdon le 2024-01-31T10:00:00.5Z', [1, 3, 5]],
    ['createdon gt 2024-01-31T10:00:00.5Z', [2, 4]],
    ['createdon ge 2024-01-31T10:00:00.5Z', [2, 4]],
    ['createdon eq 2024-01-31T10:00:00.5Z', []],
    ['createdon ne 2024-01-31T10:00:00.5Z', [1, 2, 3, 4, 5]],
    ['createdon lt 9999-12-31T23:59:59.9Z', [1, 2, 3, 4, 5]],
    ['createdon ge 9999-12-31T23:59:59.9Z', []],
    // date-only
    ['birthday lt 2000-01-01', [2]],
    ['birthday eq 2024-01-31', [4]],
    ['birthday eq 2024-01-31T00:00:00Z', [4]],
    ['birthday ge 2024-01-31', [4, 5]],
    ['birthday eq 2000-02-29', [1]],
    // choice, choices
    ['category eq 1', [1, 4]],
    ['category ne 1', [2, 5]],
    ['tags eq null', [2, 3, 5]],
    ['tags ne null', [1, 4, 6]],
    // lookups via _x_value and GUIDs (stored lower-case; literal upper-case)
    ['_parentaccountid_value eq 00000000-0000-4000-8000-000000000001', [2, 3]],
    ['_parentaccountid_value eq 00000000-0000-4000-8000-00000000000A', []],
    ['_parentaccountid_value eq null', [1, 5, 6]],
    ['_ownerid_value ne 00000000-0000-4000-8000-000000000064', [3, 4, 6]],
    ['accountid eq 00000000-0000-4000-8000-000000000003', [3]],
    // column-to-column
    ['employees gt bignumber', [2, 4, 5, 6]],
    ['_parentaccountid_value eq accountid', []],
    ["name eq description or description eq 'MAKES WIDGETS'", [1]],
    // logic and precedence
    ['employees eq 10 or employees eq 20 and isactive eq true', [1, 5]],
    ['(employees eq 10 or employees eq 20) and isactive eq false', [2, 5]],
    ['not (employees eq 10)', [2, 4, 6]],
    ['not not (employees eq 10)', [1, 5]],
    ['not (employees eq 10 or isactive eq true)', [2]],
  ]

  for (const [filter, expected] of cases) {
    it(`${filter} → [${expected.join(',')}]`, async () => {
      assert.deepEqual(await ids(filter), expected)
    })
  }

  it('resolves aliases to parameters', async () => {
    assert.deepEqual(await ids('name eq @p1', { '@p1': "'CONTOSO EAST'" }), [2])
    assert.deepEqual(await ids("contains(@p1,'litware')", { '@p1': 'name' }), [6])
  })

  it('binds every value as a parameter and qualifies columns by table', () => {
    const where = compileFilter(parseFilter("name eq 'X' and revenue gt 1", ACCOUNT), ACCOUNT)
    const query = db.selectFrom('account').select('accountid').where(where).compile()
    assert.equal(
      query.sql,
      'select "accountid" from "account" where (lower("account"."name") = lower(?) and "account"."revenue" > ?)',
    )
    assert.deepEqual(query.parameters, ['X', 100])
  })

  it('rejects a hand-built AST naming a column the table lacks', () => {
    const where = compileFilter(
      {
        kind: 'compare',
        operator: 'eq',
        left: { kind: 'property', column: 'name"; drop table account; --', lookupValue: false },
        right: { kind: 'string', value: 'x' },
      },
      ACCOUNT,
    )
    assert.throws(
      () => db.selectFrom('account').selectAll().where(where).compile(),
      (e: unknown) => e instanceof AppError && e.code === 'COLUMN_NOT_FOUND',
    )
  })

  it('escapes LIKE metacharacters', () => {
    assert.equal(escapeLike('50%_off\\'), '50\\%\\_off\\\\')
    assert.equal(escapeLike('plain'), 'plain')
  })
})
