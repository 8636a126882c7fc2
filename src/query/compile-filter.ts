import { sql, type Expression, type SqlBool } from 'kysely'
import type { ColumnDef, TableDef } from '../records/model.ts'
import { columnRef, comparable, findColumn, isTextColumn } from './column-ref.ts'
import type { DynamicExpressionBuilder, WhereFactory } from './dynamic-db.ts'
import {
  encryptedColumnError,
  hasBlindIndex,
  isEncrypted,
  type BlindIndexer,
} from './encrypted-column.ts'
import type {
  ComparisonNode,
  ComparisonOperator,
  FilterNode,
  Literal,
  StringFunctionNode,
} from './filter-ast.ts'
import { queryError } from './query-error.ts'
import { dateTimeFormat, toStorageValue, type StorageValue } from './to-storage-value.ts'

const SQL_OPERATORS = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as const
/** `5 lt col` is `col gt 5`. */
const MIRRORED: Readonly<Record<ComparisonOperator, ComparisonOperator>> = {
  eq: 'eq',
  ne: 'ne',
  gt: 'lt',
  ge: 'le',
  lt: 'gt',
  le: 'ge',
}

/**
 * Compiles a parsed $filter into a composable Kysely predicate for `table` (qualified
 * column references `table.column`; every value a bound parameter).
 *
 * Semantics:
 * - string and memo comparisons and contains/startswith/endswith are case-insensitive
 *   (lower() on both sides, see `comparable`);
 * - contains/startswith/endswith match the text literally: '%', '_' and '\' in the literal
 *   are escaped for LIKE (ESCAPE '\'). Dataverse treats % _ [ ] as wildcards; we don't;
 * - `eq null` / `ne null` are IS NULL / IS NOT NULL;
 * - every other comparison follows SQL three-valued logic: `ne 'x'`, `gt 5` and `not (...)`
 *   never match rows where the column is null;
 * - decimal and currency literals are scaled to the stored integers (see toStorageValue);
 * - datetime literals with sub-second digits are compared exactly against the whole-second
 *   storage (`lt 10:00:00.5` means `le 10:00:00`);
 * - an encrypted column (cell-level encryption) compares only with null (IS NULL / IS NOT NULL
 *   on its sealed cells) and, when it has a blind index, by `eq` with a string literal: its
 *   hidden index column equals `options.blindIndex` of the literal. Anything else is refused
 *   here too, even for an AST built by hand.
 *
 * @throws AppError COLUMN_NOT_FOUND, QUERY_INVALID or QUERY_ENCRYPTED_COLUMN if the AST doesn't
 *   fit the table
 */
export function compileFilter(
  ast: FilterNode,
  table: TableDef,
  options: CompileFilterOptions = {},
): WhereFactory {
  return (eb) => compileNode(eb, ast, table, options.blindIndex)
}

/** Options of compileFilter. */
export interface CompileFilterOptions {
  /** Blind indexes of literals, for `eq` on encrypted columns that have one. */
  readonly blindIndex?: BlindIndexer
}

function compileNode(
  eb: DynamicExpressionBuilder,
  node: FilterNode,
  table: TableDef,
  blind: BlindIndexer | undefined,
): Expression<SqlBool> {
  switch (node.kind) {
    case 'and':
      return eb.and([
        compileNode(eb, node.left, table, blind),
        compileNode(eb, node.right, table, blind),
      ])
    case 'or':
      return eb.or([
        compileNode(eb, node.left, table, blind),
        compileNode(eb, node.right, table, blind),
      ])
    case 'not':
      return eb.not(compileNode(eb, node.operand, table, blind))
    case 'function':
      return compileStringFunction(eb, node, table)
    case 'compare':
      return compileComparison(eb, node, table, blind)
  }
}

/** Escapes LIKE wildcards so the text matches literally under ESCAPE '\'. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function compileStringFunction(
  eb: DynamicExpressionBuilder,
  node: StringFunctionNode,
  table: TableDef,
): Expression<SqlBool> {
  const column = findColumn(table, node.property.column)
  if (!isTextColumn(column)) {
    throw queryError('QUERY_INVALID', `${node.name}() needs a text column.`)
  }
  if (isEncrypted(column)) throw encryptedColumnError(column, `${node.name}()`)
  const text = escapeLike(node.value.value)
  const pattern =
    node.name === 'contains' ? `%${text}%` : node.name === 'startswith' ? `${text}%` : `%${text}`
  const lowered = eb.fn('lower', [eb.val(pattern)])
  return sql<SqlBool>`${comparable(eb, table, column)} like ${lowered} escape '\\'`
}

function compileComparison(
  eb: DynamicExpressionBuilder,
  node: ComparisonNode,
  table: TableDef,
  blind: BlindIndexer | undefined,
): Expression<SqlBool> {
  if (node.left.kind === 'property' && node.right.kind === 'property') {
    const left = findColumn(table, node.left.column)
    const right = findColumn(table, node.right.column)
    for (const column of [left, right]) {
      if (isEncrypted(column)) {
        throw encryptedColumnError(column, 'comparing it with another column')
      }
    }
    return eb(
      comparable(eb, table, left),
      SQL_OPERATORS[node.operator],
      comparable(eb, table, right),
    )
  }
  if (node.left.kind === 'property' && node.right.kind !== 'property') {
    return compareWithLiteral(
      eb,
      table,
      findColumn(table, node.left.column),
      node.operator,
      node.right,
      blind,
    )
  }
  if (node.right.kind === 'property' && node.left.kind !== 'property') {
    const column = findColumn(table, node.right.column)
    return compareWithLiteral(eb, table, column, MIRRORED[node.operator], node.left, blind)
  }
  throw queryError('QUERY_INVALID', 'A comparison needs a column on at least one side.')
}

function compareWithLiteral(
  eb: DynamicExpressionBuilder,
  table: TableDef,
  column: ColumnDef,
  operator: ComparisonOperator,
  literal: Literal,
  blind: BlindIndexer | undefined,
): Expression<SqlBool> {
  const ref = columnRef(eb, table, column)
  if (literal.kind === 'null') {
    if (operator === 'eq') return eb(ref, 'is', null)
    if (operator === 'ne') return eb(ref, 'is not', null)
    throw queryError('QUERY_INVALID', 'null can only be compared with eq or ne.')
  }
  if (isEncrypted(column)) {
    if (operator !== 'eq' || !hasBlindIndex(column) || literal.kind !== 'string') {
      throw encryptedColumnError(column, operator === 'eq' ? "'eq' with a value" : `'${operator}'`)
    }
    // The records layer supplies the indexer whenever a filter has such a comparison.
    if (blind === undefined) throw new TypeError('compileFilter: blindIndex option missing')
    const index = blind(column, literal.value)
    return eb(eb.ref(`${table.name}.${index.column}`), '=', eb.val(index.value))
  }
  if (column.type === 'choices') {
    throw queryError(
      'QUERY_UNSUPPORTED',
      'Multi-select choice columns can only be compared with null.',
    )
  }
  let value: StorageValue = toStorageValue(column, literal)
  if (
    literal.kind === 'datetime' &&
    dateTimeFormat(column) === 'datetime' &&
    literal.value.includes('.')
  ) {
    // Stored values are whole seconds s; the literal is t + f with 0 < f < 1 second.
    // s = t+f never holds; s > t+f ⇔ s > t; s ≤ t+f ⇔ s ≤ t; s < t+f ⇔ s < t+1; s ≥ t+f ⇔ s ≥ t+1.
    if (operator === 'eq') return sql<SqlBool>`1 = 0`
    if (operator === 'ne') return eb(ref, 'is not', null)
    if (operator === 'lt' || operator === 'ge') {
      if (value === LAST_SECOND)
        return operator === 'lt' ? eb(ref, 'is not', null) : sql<SqlBool>`1 = 0`
      value = nextSecond(String(value))
    }
  }
  if (isTextColumn(column)) {
    return eb(eb.fn('lower', [ref]), SQL_OPERATORS[operator], eb.fn('lower', [eb.val(value)]))
  }
  return eb(ref, SQL_OPERATORS[operator], eb.val(value))
}

const LAST_SECOND = '9999-12-31T23:59:59Z'

/** 'YYYY-MM-DDTHH:MM:SSZ' plus one second, in the same form. */
function nextSecond(value: string): string {
  const date = new Date(Date.parse(value) + 1000)
  return `${date.toISOString().slice(0, 19)}Z`
}
