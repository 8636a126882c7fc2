import type { TableDef } from '../records/model.ts'
import { isAppError } from '../shared/errors.ts'
import type {
  ComparisonOperator,
  FilterNode,
  Literal,
  Operand,
  StringFunctionName,
} from './filter-ast.ts'
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_PREDICATES } from './limits.ts'
import { queryError, type QueryErrorSource } from './query-error.ts'
import { encryptedColumnError, hasBlindIndex, isEncrypted } from './encrypted-column.ts'
import { resolveProperty } from './resolve-property.ts'
import { dateTimeFormat, storageScale, toStorageValue } from './to-storage-value.ts'
import { tokenizeFilter, type Token } from './tokenize-filter.ts'

/** Parameter alias values keyed by alias name including the '@' (e.g. '@p1'). */
export type AliasValues = Readonly<Record<string, string>>

const FILTER = '$filter'
const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le'])
const STRING_FUNCTIONS: ReadonlySet<string> = new Set(['contains', 'startswith', 'endswith'])
/** OData 4.0 operators we know but don't implement. */
const UNSUPPORTED_OPERATORS: ReadonlySet<string> = new Set([
  'has',
  'in',
  'add',
  'sub',
  'mul',
  'div',
  'mod',
])
/** OData 4.0 canonical functions (and lambdas) we know but don't implement. */
const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  'any',
  'all',
  'concat',
  'indexof',
  'length',
  'substring',
  'tolower',
  'toupper',
  'trim',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'fractionalseconds',
  'totalseconds',
  'date',
  'time',
  'totaloffsetminutes',
  'mindatetime',
  'maxdatetime',
  'now',
  'round',
  'floor',
  'ceiling',
  'isof',
  'cast',
  'geo.distance',
  'geo.intersects',
  'geo.length',
])
const DATAVERSE_FUNCTION_PREFIX = 'Microsoft.Dynamics.CRM.'

interface Located<T> {
  readonly value: T
  readonly source: QueryErrorSource
}

/** A cursor over one token list (the $filter text or one alias value). */
interface TokenCursor {
  readonly tokens: readonly Token[]
  readonly option: string
  readonly text: string
  index: number
}

function peek(cursor: TokenCursor, ahead = 0): Token {
  const last = cursor.tokens[cursor.tokens.length - 1]
  const token = cursor.tokens[cursor.index + ahead] ?? last
  if (token === undefined) throw new RangeError('token list without end token')
  return token
}

function next(cursor: TokenCursor): Token {
  const token = peek(cursor)
  if (token.kind !== 'end') cursor.index++
  return token
}

const at = (cursor: TokenCursor, token: Token): QueryErrorSource => ({
  option: cursor.option,
  text: cursor.text,
  offset: token.offset,
})

const isKeyword = (token: Token, keyword: string): boolean =>
  token.kind === 'identifier' && token.value === keyword

/**
 * Parses an OData $filter expression for `table` into a type-checked FilterNode
 * (dataverse-spec §7 Query options).
 *
 * Grammar (operators are lower-case and case-sensitive):
 *   or   := and ('or' and)*
 *   and  := unary ('and' unary)*
 *   unary := 'not' unary | '(' or ')' | fn '(' property ',' string ')' | operand cmp operand
 *
 * `not` applies to the whole comparison that follows it (`not name eq 'x'`).
 * Parameter aliases (`@p1`) are replaced by their value, itself a literal or a column name.
 *
 * Encrypted columns (cell-level encryption) take only `eq null`/`ne null` and, when they have
 * a blind index, `eq` with a literal; anything else needs their plaintext and is refused.
 *
 * @throws AppError QUERY_INVALID (syntax, types; message has the position), COLUMN_NOT_FOUND,
 *   QUERY_UNSUPPORTED (lambdas, navigation paths, Microsoft.Dynamics.CRM.* and other functions),
 *   QUERY_ENCRYPTED_COLUMN or QUERY_TOO_COMPLEX (MAX_FILTER_LENGTH, MAX_FILTER_DEPTH,
 *   MAX_FILTER_PREDICATES)
 */
export function parseFilter(text: string, table: TableDef, aliases: AliasValues = {}): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) {
    throw queryError('QUERY_TOO_COMPLEX', `$filter is longer than ${MAX_FILTER_LENGTH} characters.`)
  }
  const cursor: TokenCursor = {
    tokens: tokenizeFilter(text, FILTER),
    option: FILTER,
    text,
    index: 0,
  }
  let predicates = 0

  const countPredicate = (token: Token): void => {
    predicates++
    if (predicates > MAX_FILTER_PREDICATES) {
      throw queryError(
        'QUERY_TOO_COMPLEX',
        `More than ${MAX_FILTER_PREDICATES} comparisons and functions`,
        at(cursor, token),
      )
    }
  }

  const enter = (depth: number, token: Token): number => {
    if (depth + 1 > MAX_FILTER_DEPTH) {
      throw queryError(
        'QUERY_TOO_COMPLEX',
        `Nesting deeper than ${MAX_FILTER_DEPTH} levels`,
        at(cursor, token),
      )
    }
    return depth + 1
  }

  const parseOperand = (source: TokenCursor): Located<Operand> => {
    const token = next(source)
    const where = at(source, token)
    switch (token.kind) {
      case 'string':
        return { value: { kind: 'string', value: token.value }, source: where }
      case 'number':
        return { value: { kind: 'number', text: token.value }, source: where }
      case 'guid':
      case 'date':
      case 'datetime':
        return { value: { kind: token.kind, value: token.value }, source: where }
      case 'alias':
        return parseAlias(source, token)
      case 'identifier':
        return { value: parseIdentifierOperand(source, token), source: where }
      case 'lparen':
      case 'rparen':
      case 'comma':
      case 'slash':
      case 'colon':
      case 'equals':
      case 'lbracket':
      case 'rbracket':
      case 'end':
        throw queryError('QUERY_INVALID', 'Expected a value or a column name', where)
    }
  }

  const parseIdentifierOperand = (source: TokenCursor, token: Token): Operand => {
    const where = at(source, token)
    if (token.value === 'true' || token.value === 'false') {
      return { kind: 'boolean', value: token.value === 'true' }
    }
    if (token.value === 'null') return { kind: 'null' }
    if (peek(source).kind === 'lparen') {
      throw functionError(token, where)
    }
    if (peek(source).kind === 'slash') {
      throw queryError(
        'QUERY_UNSUPPORTED',
        'Navigation paths and lambda operators (any, all) are not supported',
        where,
      )
    }
    if (token.value.includes('.')) {
      throw queryError('QUERY_INVALID', 'Unknown qualified name', where)
    }
    const resolved = resolveProperty(token.value, table, where)
    return { kind: 'property', column: resolved.column.name, lookupValue: resolved.lookupValue }
  }

  const parseAlias = (source: TokenCursor, token: Token): Located<Operand> => {
    const where = at(source, token)
    if (source !== cursor) {
      throw queryError('QUERY_INVALID', 'An alias value cannot refer to another alias', where)
    }
    if (!Object.hasOwn(aliases, token.value)) {
      throw queryError('QUERY_INVALID', 'The parameter alias has no value', where)
    }
    const value = aliases[token.value] ?? ''
    if (value.length > MAX_FILTER_LENGTH) {
      throw queryError(
        'QUERY_TOO_COMPLEX',
        `A parameter alias value is longer than ${MAX_FILTER_LENGTH} characters.`,
      )
    }
    const aliasCursor: TokenCursor = {
      tokens: tokenizeFilter(value, token.value),
      option: token.value,
      text: value,
      index: 0,
    }
    const operand = parseOperand(aliasCursor)
    const end = peek(aliasCursor)
    if (end.kind !== 'end') {
      throw queryError(
        'QUERY_INVALID',
        'An alias value must be a single literal or column name',
        at(aliasCursor, end),
      )
    }
    return operand
  }

  const functionError = (token: Token, where: QueryErrorSource): Error => {
    if (
      token.value.startsWith(DATAVERSE_FUNCTION_PREFIX) ||
      UNSUPPORTED_FUNCTIONS.has(token.value)
    ) {
      return queryError('QUERY_UNSUPPORTED', 'This function is not supported', where)
    }
    if (STRING_FUNCTIONS.has(token.value)) {
      return queryError('QUERY_INVALID', 'A string function is not a value', where)
    }
    return queryError('QUERY_INVALID', 'Unknown function', where)
  }

  const expect = (kind: Token['kind'], what: string): Token => {
    const token = next(cursor)
    if (token.kind !== kind)
      throw queryError('QUERY_INVALID', `Expected ${what}`, at(cursor, token))
    return token
  }

  const parseStringFunction = (token: Token): FilterNode => {
    countPredicate(token)
    next(cursor)
    expect('lparen', "'('")
    const property = parseOperand(cursor)
    expect('comma', "','")
    const value = parseOperand(cursor)
    expect('rparen', "')'")
    const column = columnOf(property.value)
    if (property.value.kind !== 'property' || column === undefined) {
      throw queryError('QUERY_INVALID', `${token.value}() needs a column first`, property.source)
    }
    if (column.type !== 'string' && column.type !== 'memo') {
      throw queryError(
        'QUERY_INVALID',
        `${token.value}() needs a text column, not ${column.type}`,
        property.source,
      )
    }
    if (isEncrypted(column)) {
      throw encryptedColumnError(column, `${token.value}()`, property.source)
    }
    if (value.value.kind !== 'string') {
      throw queryError('QUERY_INVALID', `${token.value}() needs a string literal`, value.source)
    }
    return {
      kind: 'function',
      name: token.value as StringFunctionName,
      property: property.value,
      value: value.value,
    }
  }

  const columnOf = (operand: Operand) =>
    operand.kind === 'property' ? table.columns.find((c) => c.name === operand.column) : undefined

  const checkComparison = (
    operator: ComparisonOperator,
    left: Located<Operand>,
    right: Located<Operand>,
  ): void => {
    const leftColumn = columnOf(left.value)
    const rightColumn = columnOf(right.value)
    if (leftColumn === undefined && rightColumn === undefined) {
      throw queryError(
        'QUERY_INVALID',
        'A comparison needs a column on at least one side',
        left.source,
      )
    }
    if (leftColumn !== undefined && rightColumn !== undefined) {
      for (const column of [leftColumn, rightColumn]) {
        if (isEncrypted(column)) {
          throw encryptedColumnError(column, 'comparing it with another column', left.source)
        }
      }
      if (leftColumn.type === 'choices' || rightColumn.type === 'choices') {
        throw queryError(
          'QUERY_UNSUPPORTED',
          'Multi-select choice columns can only be compared with null',
          left.source,
        )
      }
      if (storageFamily(leftColumn) !== storageFamily(rightColumn)) {
        throw queryError(
          'QUERY_INVALID',
          `Columns of types ${leftColumn.type} and ${rightColumn.type} can't be compared`,
          left.source,
        )
      }
      return
    }
    const [column, literal] =
      leftColumn !== undefined
        ? [leftColumn, right as Located<Literal>]
        : [rightColumn as NonNullable<typeof rightColumn>, left as Located<Literal>]
    if (literal.value.kind === 'null') {
      if (operator !== 'eq' && operator !== 'ne') {
        throw queryError('QUERY_INVALID', 'null can only be compared with eq or ne', literal.source)
      }
      return
    }
    if (isEncrypted(column) && (operator !== 'eq' || !hasBlindIndex(column))) {
      throw encryptedColumnError(
        column,
        operator === 'eq' ? "'eq' with a value" : `'${operator}'`,
        (leftColumn !== undefined ? left : right).source,
      )
    }
    if (column.type === 'choices') {
      throw queryError(
        'QUERY_UNSUPPORTED',
        'Multi-select choice columns can only be compared with null',
        literal.source,
      )
    }
    try {
      toStorageValue(column, literal.value)
    } catch (e) {
      if (!isAppError(e)) throw e
      throw queryError(e.code, e.message.replace(/\.$/, ''), literal.source, e)
    }
  }

  const parseComparison = (token: Token): FilterNode => {
    countPredicate(token)
    const left = parseOperand(cursor)
    const operatorToken = next(cursor)
    const operator = operatorToken.value
    if (operatorToken.kind !== 'identifier' || !COMPARISON_OPERATORS.has(operator)) {
      const unsupported = operatorToken.kind === 'identifier' && UNSUPPORTED_OPERATORS.has(operator)
      throw queryError(
        unsupported ? 'QUERY_UNSUPPORTED' : 'QUERY_INVALID',
        unsupported
          ? 'This operator is not supported'
          : 'Expected a comparison operator (eq, ne, gt, ge, lt, le)',
        at(cursor, operatorToken),
      )
    }
    const right = parseOperand(cursor)
    checkComparison(operator as ComparisonOperator, left, right)
    return {
      kind: 'compare',
      operator: operator as ComparisonOperator,
      left: left.value,
      right: right.value,
    }
  }

  const parseUnary = (depth: number): FilterNode => {
    const token = peek(cursor)
    if (token.kind === 'lparen') {
      const inner = enter(depth, token)
      next(cursor)
      const node = parseOr(inner)
      expect('rparen', "')'")
      return node
    }
    if (isKeyword(token, 'not')) {
      const inner = enter(depth, token)
      next(cursor)
      return { kind: 'not', operand: parseUnary(inner) }
    }
    if (token.kind === 'identifier' && peek(cursor, 1).kind === 'lparen') {
      if (!STRING_FUNCTIONS.has(token.value)) throw functionError(token, at(cursor, token))
      return parseStringFunction(token)
    }
    return parseComparison(token)
  }

  const parseAnd = (depth: number): FilterNode => {
    let node = parseUnary(depth)
    while (isKeyword(peek(cursor), 'and')) {
      next(cursor)
      node = { kind: 'and', left: node, right: parseUnary(depth) }
    }
    return node
  }

  const parseOr = (depth: number): FilterNode => {
    let node = parseAnd(depth)
    while (isKeyword(peek(cursor), 'or')) {
      next(cursor)
      node = { kind: 'or', left: node, right: parseAnd(depth) }
    }
    return node
  }

  if (peek(cursor).kind === 'end') {
    throw queryError('QUERY_INVALID', 'Expected an expression', at(cursor, peek(cursor)))
  }
  const node = parseOr(0)
  const trailing = peek(cursor)
  if (trailing.kind !== 'end') {
    throw queryError(
      'QUERY_INVALID',
      "Expected 'and', 'or' or the end of the expression",
      at(cursor, trailing),
    )
  }
  return node
}

/**
 * Columns whose stored values compare meaningfully with each other share a family: same
 * SQL type and, for scaled numbers, the same scale; datetimes of the same format.
 */
function storageFamily(column: PropertyColumn): string {
  switch (column.type) {
    case 'string':
    case 'memo':
      return 'text'
    case 'lookup':
    case 'uniqueidentifier':
      return 'guid'
    case 'wholenumber':
    case 'bigint':
    case 'decimal':
    case 'currency':
      return `integer/${storageScale(column)}`
    case 'datetime':
      return `datetime/${dateTimeFormat(column)}`
    case 'float':
    case 'boolean':
    case 'choice':
    case 'choices':
      return column.type
  }
}

type PropertyColumn = TableDef['columns'][number]
