import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError, type ErrorCode } from '../shared/errors.ts'
import { MAX_ORDER_BY_ITEMS, MAX_SELECT_ITEMS, MAX_TOP } from './limits.ts'
import { parseLiteral } from './parse-literal.ts'
import { parseOrderBy } from './parse-order-by.ts'
import { parseQueryOptions } from './parse-query-options.ts'
import { parseSelect } from './parse-select.ts'
import { parseTop } from './parse-top.ts'
import { ACCOUNT } from './sample-table.test.ts'

function assertCode(fn: () => unknown, code: ErrorCode, position?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError)
    assert.equal(e.code, code, e.message)
    if (position !== undefined) assert.match(e.message, new RegExp(`at position ${position}\\b`))
    return true
  })
}

describe('parseSelect', () => {
  it('returns column names in request order without duplicates', () => {
    assert.deepEqual(parseSelect('name, revenue,name,_parentaccountid_value,createdon', ACCOUNT), [
      'name',
      'revenue',
      'parentaccountid',
      'createdon',
    ])
  })

  it('rejects unknown columns, bare lookup names and malformed entries', () => {
    assertCode(() => parseSelect('name,nosuch', ACCOUNT), 'COLUMN_NOT_FOUND', 6)
    assertCode(() => parseSelect('parentaccountid', ACCOUNT), 'COLUMN_NOT_FOUND', 1)
    assertCode(() => parseSelect('Name', ACCOUNT), 'COLUMN_NOT_FOUND', 1)
    assertCode(() => parseSelect('name,,revenue', ACCOUNT), 'QUERY_INVALID', 6)
    assertCode(() => parseSelect('', ACCOUNT), 'QUERY_INVALID', 1)
    assertCode(() => parseSelect('*', ACCOUNT), 'QUERY_INVALID', 1)
    assertCode(() => parseSelect('primarycontactid/fullname', ACCOUNT), 'QUERY_INVALID', 1)
    assertCode(() => parseSelect('name revenue', ACCOUNT), 'QUERY_INVALID', 1)
  })

  it(`accepts ${MAX_SELECT_ITEMS} entries and rejects more`, () => {
    assert.deepEqual(parseSelect(Array(MAX_SELECT_ITEMS).fill('name').join(','), ACCOUNT), ['name'])
    assertCode(
      () =>
        parseSelect(
          Array(MAX_SELECT_ITEMS + 1)
            .fill('name')
            .join(','),
          ACCOUNT,
        ),
      'QUERY_TOO_COMPLEX',
    )
  })
})

describe('parseOrderBy', () => {
  it('parses columns with optional directions', () => {
    assert.deepEqual(parseOrderBy('name, revenue desc ,createdon asc,_ownerid_value', ACCOUNT), [
      { column: 'name', direction: 'asc' },
      { column: 'revenue', direction: 'desc' },
      { column: 'createdon', direction: 'asc' },
      { column: 'ownerid', direction: 'asc' },
    ])
  })

  it('resolves parameter aliases to column names', () => {
    assert.deepEqual(parseOrderBy('@p1 desc', ACCOUNT, { '@p1': 'name' }), [
      { column: 'name', direction: 'desc' },
    ])
    assertCode(() => parseOrderBy('@p1', ACCOUNT), 'QUERY_INVALID', 1)
    assertCode(() => parseOrderBy('@p1', ACCOUNT, { '@p1': "'name'" }), 'QUERY_INVALID', 1)
    assertCode(() => parseOrderBy('@p1', ACCOUNT, { '@p1': 'nosuch' }), 'COLUMN_NOT_FOUND', 1)
  })

  it('rejects malformed, duplicate, unknown and unsortable entries', () => {
    assertCode(() => parseOrderBy('name DESC', ACCOUNT), 'QUERY_INVALID', 1)
    assertCode(() => parseOrderBy('name desc asc', ACCOUNT), 'QUERY_INVALID', 1)
    assertCode(() => parseOrderBy('name,', ACCOUNT), 'QUERY_INVALID', 6)
    assertCode(() => parseOrderBy('name, name desc', ACCOUNT), 'QUERY_INVALID', 7)
    assertCode(() => parseOrderBy('nosuch', ACCOUNT), 'COLUMN_NOT_FOUND', 1)
    assertCode(() => parseOrderBy('tags', ACCOUNT), 'QUERY_UNSUPPORTED', 1)
    assertCode(() => parseOrderBy('primarycontactid/fullname', ACCOUNT), 'QUERY_UNSUPPORTED', 1)
  })

  it(`accepts ${MAX_ORDER_BY_ITEMS} entries and rejects more`, () => {
    const wide = {
      ...ACCOUNT,
      columns: Array.from({ length: MAX_ORDER_BY_ITEMS + 1 }, (_, i) => ({
        name: `c${i}`,
        type: 'wholenumber' as const,
        displayName: `c${i}`,
        required: false,
        system: false,
        options: {},
      })),
    }
    const names = wide.columns.map((c) => c.name)
    assert.equal(parseOrderBy(names.slice(0, -1).join(','), wide).length, MAX_ORDER_BY_ITEMS)
    assertCode(() => parseOrderBy(names.join(','), wide), 'QUERY_TOO_COMPLEX')
  })
})

describe('parseTop', () => {
  it('accepts 0 to MAX_TOP', () => {
    assert.equal(parseTop('0'), 0)
    assert.equal(parseTop('10'), 10)
    assert.equal(parseTop(String(MAX_TOP)), MAX_TOP)
  })

  for (const bad of ['', '-1', '1.5', '1e3', ' 5', '5001', 'ten', '99999999999', '0x10']) {
    it(`rejects '${bad}'`, () => {
      assertCode(() => parseTop(bad), 'QUERY_INVALID')
    })
  }
})

describe('parseLiteral', () => {
  it('parses each literal kind', () => {
    assert.deepEqual(parseLiteral("'a''b'", 'key'), { kind: 'string', value: "a'b" })
    assert.deepEqual(parseLiteral('-1.5', 'key'), { kind: 'number', text: '-1.5' })
    assert.deepEqual(parseLiteral('null', 'key'), { kind: 'null' })
    assert.deepEqual(parseLiteral('false', 'key'), { kind: 'boolean', value: false })
  })

  it('rejects anything but one literal', () => {
    assertCode(() => parseLiteral("'a' 'b'", 'key'), 'QUERY_INVALID', 5)
    assertCode(() => parseLiteral('name', 'key'), 'QUERY_INVALID', 1)
    assertCode(() => parseLiteral('', 'key'), 'QUERY_INVALID', 1)
  })
})

describe('parseQueryOptions', () => {
  it('parses every supported option together', () => {
    const parsed = parseQueryOptions(
      {
        $filter: 'name eq @p1',
        $select: 'name,revenue',
        $orderby: '@p2 desc',
        $top: '3',
        $count: 'true',
        $expand: 'primarycontactid($select=fullname)',
        $skiptoken: 'opaque',
        '@p1': "'Contoso'",
        '@p2': 'revenue',
        tag: 'ignored',
      },
      ACCOUNT,
    )
    assert.deepEqual(parsed, {
      count: true,
      filter: {
        kind: 'compare',
        operator: 'eq',
        left: { kind: 'property', column: 'name', lookupValue: false },
        right: { kind: 'string', value: 'Contoso' },
      },
      select: ['name', 'revenue'],
      orderBy: [{ column: 'revenue', direction: 'desc' }],
      top: 3,
      expand: 'primarycontactid($select=fullname)',
      skipToken: 'opaque',
    })
  })

  it('returns only count: false for no options', () => {
    assert.deepEqual(parseQueryOptions({}, ACCOUNT), { count: false })
    assert.deepEqual(parseQueryOptions({ $count: 'false' }, ACCOUNT), { count: false })
  })

  it('rejects $skip, $search and $format as QUERY_UNSUPPORTED', () => {
    for (const name of ['$skip', '$search', '$format']) {
      assertCode(() => parseQueryOptions({ [name]: '1' }, ACCOUNT), 'QUERY_UNSUPPORTED')
    }
  })

  it('rejects unknown and wrongly cased options as QUERY_INVALID', () => {
    for (const name of ['$Filter', '$TOP', '$foo', '$', '$levels']) {
      assertCode(() => parseQueryOptions({ [name]: '1' }, ACCOUNT), 'QUERY_INVALID')
    }
  })

  it('rejects bad $count values and alias names', () => {
    assertCode(() => parseQueryOptions({ $count: 'True' }, ACCOUNT), 'QUERY_INVALID')
    assertCode(() => parseQueryOptions({ '@1x': "'a'" }, ACCOUNT), 'QUERY_INVALID')
    assertCode(() => parseQueryOptions({ '@p-1': "'a'" }, ACCOUNT), 'QUERY_INVALID')
  })

  it('passes option errors through', () => {
    assertCode(() => parseQueryOptions({ $top: '5001' }, ACCOUNT), 'QUERY_INVALID')
    assertCode(() => parseQueryOptions({ $select: 'x' }, ACCOUNT), 'COLUMN_NOT_FOUND')
    assertCode(() => parseQueryOptions({ $filter: 'name eq' }, ACCOUNT), 'QUERY_INVALID', 8)
    assertCode(
      () => parseQueryOptions({ $expand: 'x'.repeat(40_000) }, ACCOUNT),
      'QUERY_TOO_COMPLEX',
    )
  })
})
