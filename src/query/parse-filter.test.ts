import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError, type ErrorCode } from '../shared/errors.ts'
import type { FilterNode, Operand } from './filter-ast.ts'
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_PREDICATES } from './limits.ts'
import { parseFilter } from './parse-filter.ts'
import { ACCOUNT } from './sample-table.test.ts'

const parse = (text: string, aliases: Record<string, string> = {}): FilterNode =>
  parseFilter(text, ACCOUNT, aliases)

const prop = (column: string, lookupValue = false): Operand => ({
  kind: 'property',
  column,
  lookupValue,
})
const num = (text: string): Operand => ({ kind: 'number', text })
const str = (value: string): Operand => ({ kind: 'string', value })
const cmp = (left: Operand, operator: string, right: Operand): FilterNode =>
  ({ kind: 'compare', operator, left, right }) as FilterNode

/** Asserts parsing throws the AppError `code`, with a position when `position` is given. */
function assertRejects(
  text: string,
  code: ErrorCode,
  position?: number,
  aliases: Record<string, string> = {},
): AppError {
  let caught: unknown
  try {
    parse(text, aliases)
  } catch (e) {
    caught = e
  }
  assert.ok(caught instanceof AppError, `expected AppError for ${text.slice(0, 60)}`)
  assert.equal(caught.code, code, caught.message)
  if (position !== undefined) {
    assert.match(caught.message, new RegExp(`at position ${position}\\b`), caught.message)
  }
  return caught
}

describe('parseFilter: comparisons', () => {
  for (const op of ['eq', 'ne', 'gt', 'ge', 'lt', 'le']) {
    it(`parses ${op}`, () => {
      assert.deepEqual(parse(`employees ${op} 5`), cmp(prop('employees'), op, num('5')))
    })
  }

  it('parses every literal type against a matching column', () => {
    assert.deepEqual(parse("name eq 'x'"), cmp(prop('name'), 'eq', str('x')))
    assert.deepEqual(parse('ratio gt -1.5e3'), cmp(prop('ratio'), 'gt', num('-1.5e3')))
    assert.deepEqual(parse('score lt 2.25E-1'), cmp(prop('score'), 'lt', num('2.25E-1')))
    assert.deepEqual(
      parse('isactive eq true'),
      cmp(prop('isactive'), 'eq', { kind: 'boolean', value: true }),
    )
    assert.deepEqual(
      parse('isactive ne false'),
      cmp(prop('isactive'), 'ne', { kind: 'boolean', value: false }),
    )
    assert.deepEqual(parse('name eq null'), cmp(prop('name'), 'eq', { kind: 'null' }))
    assert.deepEqual(
      parse('accountid eq 6F9619FF-8B86-D011-B42D-00CF4FC964FF'),
      cmp(prop('accountid'), 'eq', {
        kind: 'guid',
        value: '6f9619ff-8b86-d011-b42d-00cf4fc964ff',
      }),
    )
    assert.deepEqual(
      parse('birthday eq 2024-01-31'),
      cmp(prop('birthday'), 'eq', { kind: 'date', value: '2024-01-31' }),
    )
    assert.deepEqual(
      parse('createdon ge 2024-01-31T10:00:00Z'),
      cmp(prop('createdon'), 'ge', { kind: 'datetime', value: '2024-01-31T10:00:00Z' }),
    )
  })

  it('normalises date-times to UTC and drops zero fractions', () => {
    assert.deepEqual(
      parse('createdon lt 2024-01-01T01:30:00.000+02:00'),
      cmp(prop('createdon'), 'lt', { kind: 'datetime', value: '2023-12-31T23:30:00Z' }),
    )
    assert.deepEqual(
      parse('createdon lt 2024-01-01T10:00:00.1200Z'),
      cmp(prop('createdon'), 'lt', { kind: 'datetime', value: '2024-01-01T10:00:00.12Z' }),
    )
    assert.deepEqual(
      parse('createdon lt 2024-01-01T10:00Z'),
      cmp(prop('createdon'), 'lt', { kind: 'datetime', value: '2024-01-01T10:00:00Z' }),
    )
  })

  it('accepts a literal on the left and column-to-column comparisons of one type', () => {
    assert.deepEqual(parse('5 lt employees'), cmp(num('5'), 'lt', prop('employees')))
    assert.deepEqual(parse('name eq description'), cmp(prop('name'), 'eq', prop('description')))
    assert.deepEqual(
      parse('_parentaccountid_value eq accountid'),
      cmp(prop('parentaccountid', true), 'eq', prop('accountid')),
    )
  })

  it('maps _x_value to the lookup column', () => {
    assert.deepEqual(
      parse('_ownerid_value ne null'),
      cmp(prop('ownerid', true), 'ne', { kind: 'null' }),
    )
  })

  it("unescapes '' inside strings", () => {
    assert.deepEqual(parse("name eq 'O''Neil'''"), cmp(prop('name'), 'eq', str("O'Neil'")))
    assert.deepEqual(parse("name eq ''"), cmp(prop('name'), 'eq', str('')))
    assert.deepEqual(parse("name eq ''''"), cmp(prop('name'), 'eq', str("'")))
  })

  it('tolerates whitespace variations', () => {
    assert.deepEqual(parse("  name\teq\n'x'  "), cmp(prop('name'), 'eq', str('x')))
    assert.deepEqual(parse("( name eq 'x' )"), cmp(prop('name'), 'eq', str('x')))
  })
})

describe('parseFilter: logic, precedence and nesting', () => {
  const a = cmp(prop('employees'), 'eq', num('1'))
  const b = cmp(prop('category'), 'eq', num('2'))
  const c = cmp(prop('bignumber'), 'eq', num('3'))

  it('binds and tighter than or', () => {
    assert.deepEqual(parse('employees eq 1 or category eq 2 and bignumber eq 3'), {
      kind: 'or',
      left: a,
      right: { kind: 'and', left: b, right: c },
    })
    assert.deepEqual(parse('employees eq 1 and category eq 2 or bignumber eq 3'), {
      kind: 'or',
      left: { kind: 'and', left: a, right: b },
      right: c,
    })
  })

  it('is left-associative', () => {
    assert.deepEqual(parse('employees eq 1 or category eq 2 or bignumber eq 3'), {
      kind: 'or',
      left: { kind: 'or', left: a, right: b },
      right: c,
    })
  })

  it('groups with parentheses', () => {
    assert.deepEqual(parse('(employees eq 1 or category eq 2) and bignumber eq 3'), {
      kind: 'and',
      left: { kind: 'or', left: a, right: b },
      right: c,
    })
    assert.deepEqual(parse('((((employees eq 1))))'), a)
  })

  it('parses not over a comparison, a group and a function', () => {
    assert.deepEqual(parse('not employees eq 1'), { kind: 'not', operand: a })
    assert.deepEqual(parse('not (employees eq 1 or category eq 2)'), {
      kind: 'not',
      operand: { kind: 'or', left: a, right: b },
    })
    assert.deepEqual(parse('not not employees eq 1 and category eq 2'), {
      kind: 'and',
      left: { kind: 'not', operand: { kind: 'not', operand: a } },
      right: b,
    })
    assert.deepEqual(parse("not contains(name,'x')"), {
      kind: 'not',
      operand: { kind: 'function', name: 'contains', property: prop('name'), value: str('x') },
    })
  })

  for (const name of ['contains', 'startswith', 'endswith']) {
    it(`parses ${name}() on string and memo columns`, () => {
      assert.deepEqual(parse(`${name}(name, 'a''b')`), {
        kind: 'function',
        name,
        property: prop('name'),
        value: str("a'b"),
      })
      assert.deepEqual(parse(`${name}(description,'%_')`), {
        kind: 'function',
        name,
        property: prop('description'),
        value: str('%_'),
      })
    })
  }
})

describe('parseFilter: parameter aliases', () => {
  it('substitutes literal aliases', () => {
    assert.deepEqual(
      parse('name eq @p1 and employees gt @count', { '@p1': "'O''Neil'", '@count': ' 5 ' }),
      {
        kind: 'and',
        left: cmp(prop('name'), 'eq', str("O'Neil")),
        right: cmp(prop('employees'), 'gt', num('5')),
      },
    )
  })

  it('substitutes column-name aliases, also in functions', () => {
    assert.deepEqual(parse("contains(@p1,'Contoso')", { '@p1': 'name' }), {
      kind: 'function',
      name: 'contains',
      property: prop('name'),
      value: str('Contoso'),
    })
  })

  it('rejects a missing alias, a nested alias and a non-literal alias value', () => {
    assertRejects('name eq @p1', 'QUERY_INVALID', 9)
    assertRejects('name eq @p1', 'QUERY_INVALID', undefined, { '@p1': '@p2', '@p2': "'x'" })
    const e = assertRejects('name eq @p1', 'QUERY_INVALID', undefined, { '@p1': "'x' or 1 eq 1" })
    assert.match(e.message, /in @p1 at position 5/)
    assertRejects('employees eq @p1', 'QUERY_INVALID', undefined, { '@p1': "'5'" })
    assertRejects('name eq @p1', 'COLUMN_NOT_FOUND', undefined, { '@p1': 'nosuchcolumn' })
  })

  it('does not read aliases from the prototype', () => {
    assertRejects('name eq @constructor', 'QUERY_INVALID', 9)
  })
})

describe('parseFilter: errors', () => {
  it('reports unknown columns as COLUMN_NOT_FOUND with the position', () => {
    assertRejects("nosuch eq 'x'", 'COLUMN_NOT_FOUND', 1)
    assertRejects("name eq 'x' and Name eq 'y'", 'COLUMN_NOT_FOUND', 17)
    assertRejects('_name_value eq null', 'COLUMN_NOT_FOUND', 1)
    assertRejects('parentaccountid eq null', 'COLUMN_NOT_FOUND', 1)
    assertRejects("contains(nosuch,'x')", 'COLUMN_NOT_FOUND', 10)
  })

  it('reports type mismatches as QUERY_INVALID at the literal', () => {
    assertRejects("employees eq '5'", 'QUERY_INVALID', 14)
    assertRejects('name eq 5', 'QUERY_INVALID', 9)
    assertRejects('isactive eq 1', 'QUERY_INVALID', 13)
    assertRejects("accountid eq '6f9619ff-8b86-d011-b42d-00cf4fc964ff'", 'QUERY_INVALID', 14)
    assertRejects('createdon eq 5', 'QUERY_INVALID', 14)
    assertRejects('birthday eq 2024-01-31T10:00:00Z', 'QUERY_INVALID', 13)
    assertRejects('category eq 1.5', 'QUERY_INVALID', 13)
    assertRejects("contains(employees,'1')", 'QUERY_INVALID', 10)
    assertRejects('contains(name,5)', 'QUERY_INVALID', 15)
    assertRejects("contains('x',name)", 'QUERY_INVALID', 10)
    assertRejects('name gt null', 'QUERY_INVALID', 9)
    assertRejects("'a' eq 'b'", 'QUERY_INVALID', 1)
    assertRejects('name eq employees', 'QUERY_INVALID', 1)
    assertRejects('revenue eq price', 'QUERY_INVALID', 1)
    assertRejects('employees eq 1e400', 'QUERY_INVALID', 14)
  })

  it('reports syntax errors as QUERY_INVALID with the position', () => {
    assertRejects('', 'QUERY_INVALID', 1)
    assertRejects('   ', 'QUERY_INVALID', 4)
    assertRejects('name eq', 'QUERY_INVALID', 8)
    assertRejects("name eq 'x' garbage", 'QUERY_INVALID', 13)
    assertRejects("name eq 'x')", 'QUERY_INVALID', 12)
    assertRejects("(name eq 'x'", 'QUERY_INVALID', 13)
    assertRejects("name eq 'abc", 'QUERY_INVALID', 9)
    assertRejects("name EQ 'x'", 'QUERY_INVALID', 6)
    assertRejects("name eq 'x' AND employees eq 1", 'QUERY_INVALID', 13)
    assertRejects("name eq 'x' and", 'QUERY_INVALID', 16)
    assertRejects('employees eq 1.', 'QUERY_INVALID', 14)
    assertRejects('createdon eq 2024-02-30', 'QUERY_INVALID', 14)
    assertRejects('createdon eq 2024-01-01T24:00:00Z', 'QUERY_INVALID', 14)
    assertRejects('createdon eq 2024-01-01T10:00:00', 'QUERY_INVALID', 14)
    assertRejects('createdon eq 0000-01-01', 'QUERY_INVALID', 14)
    assertRejects('name eq #', 'QUERY_INVALID', 9)
    assertRejects("name eq 'x' or", 'QUERY_INVALID', 15)
    assertRejects("foo(name,'x')", 'QUERY_INVALID', 1)
    assertRejects("name eq contains(name,'x')", 'QUERY_INVALID', 9)
    assertRejects('employees eq 1 eq 2', 'QUERY_INVALID', 16)
    assertRejects('Microsoft.Foo eq 1', 'QUERY_INVALID', 1)
  })

  it('reports known but unsupported constructs as QUERY_UNSUPPORTED', () => {
    assertRejects("contact_customer_accounts/any(c:c/fullname eq 'x')", 'QUERY_UNSUPPORTED', 1)
    assertRejects("primarycontactid/fullname eq 'x'", 'QUERY_UNSUPPORTED', 1)
    assertRejects(
      "Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=['a','b'])",
      'QUERY_UNSUPPORTED',
      1,
    )
    assertRejects(
      "name eq 'x' and Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=3)",
      'QUERY_UNSUPPORTED',
      17,
    )
    assertRejects("tolower(name) eq 'x'", 'QUERY_UNSUPPORTED', 1)
    assertRejects('employees add 1 eq 2', 'QUERY_UNSUPPORTED', 11)
    assertRejects("tags eq '1,3'", 'QUERY_UNSUPPORTED', 9)
    assertRejects('tags eq tags', 'QUERY_UNSUPPORTED', 1)
  })

  it('allows null comparisons on multi-select choice columns', () => {
    assert.deepEqual(parse('tags ne null'), cmp(prop('tags'), 'ne', { kind: 'null' }))
  })

  it('never quotes more than 20 characters of input and masks control characters', () => {
    const e = assertRejects(`name eq 'x' ${'z'.repeat(200)}`, 'QUERY_INVALID', 13)
    assert.ok(!e.message.includes('z'.repeat(21)))
    const nul = assertRejects("name eq 'x' \u0000\u202e", 'QUERY_INVALID', 13)
    assert.ok(!nul.message.includes('\u0000') && !nul.message.includes('\u202e'))
    assert.deepEqual(nul.details, [{ path: '$filter', message: 'position 13' }])
  })
})

describe('parseFilter: limits', () => {
  const nested = (depth: number): string => `${'('.repeat(depth)}employees eq 1${')'.repeat(depth)}`
  const nots = (depth: number): string => `${'not '.repeat(depth)}employees eq 1`

  it(`accepts nesting depth ${MAX_FILTER_DEPTH}`, () => {
    parse(nested(MAX_FILTER_DEPTH))
    parse(nots(MAX_FILTER_DEPTH))
  })

  it(`rejects nesting depth ${MAX_FILTER_DEPTH + 1} as QUERY_TOO_COMPLEX`, () => {
    assertRejects(nested(MAX_FILTER_DEPTH + 1), 'QUERY_TOO_COMPLEX', MAX_FILTER_DEPTH + 1)
    assertRejects(nots(MAX_FILTER_DEPTH + 1), 'QUERY_TOO_COMPLEX')
    assertRejects(nested(3000), 'QUERY_TOO_COMPLEX', MAX_FILTER_DEPTH + 1)
  })

  it(`accepts ${MAX_FILTER_PREDICATES} comparisons and rejects one more`, () => {
    const many = (n: number): string =>
      Array.from({ length: n }, () => 'employees eq 1').join(' or ')
    parse(many(MAX_FILTER_PREDICATES))
    assertRejects(many(MAX_FILTER_PREDICATES + 1), 'QUERY_TOO_COMPLEX')
  })

  it(`accepts ${MAX_FILTER_LENGTH} characters and rejects ${MAX_FILTER_LENGTH + 1}`, () => {
    const base = "name eq ''"
    const fill = (length: number): string => `name eq '${'a'.repeat(length - base.length)}'`
    assert.equal(fill(MAX_FILTER_LENGTH).length, MAX_FILTER_LENGTH)
    parse(fill(MAX_FILTER_LENGTH))
    assertRejects(fill(MAX_FILTER_LENGTH + 1), 'QUERY_TOO_COMPLEX')
    assertRejects('name eq @p1', 'QUERY_TOO_COMPLEX', undefined, {
      '@p1': `'${'a'.repeat(MAX_FILTER_LENGTH)}'`,
    })
  })
})
