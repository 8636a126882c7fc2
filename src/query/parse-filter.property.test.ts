import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { ColumnDef } from '../records/model.ts'
import { AppError } from '../shared/errors.ts'
import type {
  ComparisonOperator,
  FilterNode,
  Literal,
  Operand,
  PropertyOperand,
} from './filter-ast.ts'
import { parseFilter } from './parse-filter.ts'
import { printFilter } from './print-filter.ts'
import { ACCOUNT } from './sample-table.test.ts'
import { scaleDecimal } from './scale-decimal.ts'

const OPERATORS: readonly ComparisonOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le']
const propertyOf = (c: ColumnDef): PropertyOperand => ({
  kind: 'property',
  column: c.name,
  lookupValue: c.type === 'lookup',
})

// NUL is rejected in string literals (see tokenize-filter.ts).
const anyString = fc
  .string({ unit: 'binary', maxLength: 20 })
  .map((s) => s.replaceAll('\u0000', ''))
const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`))
const integerText = fc
  .tuple(fc.boolean(), digits(1, 5))
  .map(([negative, d]) => `${negative ? '-' : ''}${d}`)
const numberText = fc
  .tuple(
    integerText,
    fc.option(digits(1, 4), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 1)), {
      nil: undefined,
    }),
  )
  .map(
    ([whole, fraction, exponent]) =>
      `${whole}${fraction === undefined ? '' : `.${fraction}`}${exponent === undefined ? '' : exponent.join('')}`,
  )
const instant = fc.date({
  min: new Date('0001-01-01T00:00:00Z'),
  max: new Date('9999-12-31T23:59:59Z'),
  noInvalidDate: true,
})
const dateTimeText = instant.map((d) => d.toISOString().replace(/\.?0*Z$/, 'Z'))
const dateText = instant.map((d) => d.toISOString().slice(0, 10))
const guidText = fc.uuid().map((u) => u.toLowerCase())

/** A literal the parser accepts for `c`, in the normal form it produces. */
function literalFor(c: ColumnDef): fc.Arbitrary<Literal> {
  switch (c.type) {
    case 'string':
    case 'memo':
      return anyString.map((value) => ({ kind: 'string', value }))
    case 'wholenumber':
    case 'bigint':
    case 'decimal':
    case 'currency':
    case 'float':
      return numberText.map((text) => ({ kind: 'number', text }))
    case 'choice':
      return integerText.map((text) => ({ kind: 'number', text }))
    case 'boolean':
      return fc.boolean().map((value) => ({ kind: 'boolean', value }))
    case 'datetime':
      return c.options.format === 'dateonly'
        ? dateText.map((value) => ({ kind: 'date', value }))
        : fc.oneof(
            dateTimeText.map((value): Literal => ({ kind: 'datetime', value })),
            dateText.map((value): Literal => ({ kind: 'date', value })),
          )
    case 'lookup':
    case 'uniqueidentifier':
      return guidText.map((value) => ({ kind: 'guid', value }))
    case 'choices':
      return fc.constant({ kind: 'null' })
  }
}

const comparableColumns = ACCOUNT.columns

const comparison: fc.Arbitrary<FilterNode> = fc.constantFrom(...comparableColumns).chain((c) => {
  const property = propertyOf(c)
  const nullCompare = fc
    .constantFrom<ComparisonOperator>('eq', 'ne')
    .map((operator): FilterNode => ({
      kind: 'compare',
      operator,
      left: property,
      right: { kind: 'null' },
    }))
  if (c.type === 'choices') return nullCompare
  const sameFamily = comparableColumns.filter(
    (o) =>
      o.type === c.type &&
      o.options.precision === c.options.precision &&
      o.options.format === c.options.format,
  )
  const withLiteral = fc
    .tuple(fc.constantFrom(...OPERATORS), literalFor(c), fc.boolean())
    .map(([operator, literal, flipped]): FilterNode => {
      const [left, right]: [Operand, Operand] = flipped ? [literal, property] : [property, literal]
      return { kind: 'compare', operator, left, right }
    })
  const withColumn = fc
    .tuple(fc.constantFrom(...OPERATORS), fc.constantFrom(...sameFamily))
    .map(([operator, other]): FilterNode => ({
      kind: 'compare',
      operator,
      left: property,
      right: propertyOf(other),
    }))
  return fc.oneof({ arbitrary: withLiteral, weight: 4 }, nullCompare, withColumn)
})

const stringFunction: fc.Arbitrary<FilterNode> = fc
  .tuple(
    fc.constantFrom('contains' as const, 'startswith' as const, 'endswith' as const),
    fc.constantFrom('name', 'description'),
    anyString,
  )
  .map(([name, c, value]) => ({
    kind: 'function',
    name,
    property: { kind: 'property', column: c, lookupValue: false },
    value: { kind: 'string', value },
  }))

const { filter } = fc.letrec<{ filter: FilterNode }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    comparison,
    stringFunction,
    fc
      .tuple(fc.constantFrom('and' as const, 'or' as const), tie('filter'), tie('filter'))
      .map(([kind, left, right]): FilterNode => ({ kind, left, right })),
    tie('filter').map((operand): FilterNode => ({ kind: 'not', operand })),
  ),
}))

const FRAGMENTS = [
  'name',
  'employees',
  '_parentaccountid_value',
  'createdon',
  'tags',
  ' eq ',
  ' ne ',
  ' gt ',
  ' and ',
  ' or ',
  'not ',
  '(',
  ')',
  ',',
  "'",
  "''",
  "'x'",
  '1',
  '-1.5e3',
  '1e400',
  '2024-01-31',
  '2024-01-31T10:00:00Z',
  '6f9619ff-8b86-d011-b42d-00cf4fc964ff',
  'null',
  'true',
  '@p1',
  'contains(',
  'any(c:',
  '/',
  'Microsoft.Dynamics.CRM.In(',
  '=',
  '[',
  ' ',
]
const tokenSoup = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 })
  .map((parts) => parts.join(''))

describe('parseFilter properties', () => {
  it('parses the printed form of any valid AST back to the same AST', () => {
    fc.assert(
      fc.property(filter, (ast) => {
        assert.deepEqual(parseFilter(printFilter(ast), ACCOUNT), ast)
      }),
      { numRuns: 2000 },
    )
  })

  it('throws nothing but AppError on arbitrary input, and what parses reprints stably', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), tokenSoup), (text) => {
        let ast: FilterNode
        try {
          ast = parseFilter(text, ACCOUNT, { '@p1': "'v'" })
        } catch (e) {
          assert.ok(e instanceof AppError, String(e))
          assert.match(
            e.code,
            /^(QUERY_INVALID|QUERY_UNSUPPORTED|QUERY_TOO_COMPLEX|COLUMN_NOT_FOUND)$/,
          )
          return
        }
        assert.deepEqual(parseFilter(printFilter(ast), ACCOUNT), ast)
      }),
      { numRuns: 5000 },
    )
  })
})

/** Exact comparison of integer x with the rational number written as `text` times 10^p. */
function compareExact(x: bigint, text: string, precision: number): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (m === null) throw new RangeError(text)
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m
  let numerator = BigInt(`${sign}${whole}${fraction}`)
  const shift = Number(exponent) - fraction.length + precision
  let denominator = 1n
  if (shift >= 0) numerator *= 10n ** BigInt(shift)
  else denominator = 10n ** BigInt(-shift)
  const lhs = x * denominator
  return lhs < numerator ? -1 : lhs > numerator ? 1 : 0
}

describe('scaleDecimal properties', () => {
  it('compares with any stored integer exactly as the rational literal does', () => {
    fc.assert(
      fc.property(
        numberText,
        fc.integer({ min: 0, max: 4 }),
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        (text, precision, stored) => {
          const scaled = scaleDecimal(text, precision)
          const asNumber = Number(stored)
          const sqlLike = typeof scaled === 'bigint' ? Number(scaled) : scaled
          const actual = asNumber < sqlLike ? -1 : asNumber > sqlLike ? 1 : 0
          assert.equal(actual, compareExact(stored, text, precision), `${text} @${precision}`)
        },
      ),
      { numRuns: 3000 },
    )
  })
})
