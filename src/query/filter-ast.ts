/**
 * The $filter abstract syntax tree. Parsing resolves names against the TableDef and checks
 * types, so a FilterNode only ever names columns that exist and compares compatible values.
 * Nodes carry no source positions, so two parses of equivalent text compare deep-equal.
 */

/** OData comparison operators (lower-case, case-sensitive as in OData). */
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'

/** OData string functions supported in $filter. */
export type StringFunctionName = 'contains' | 'startswith' | 'endswith'

/** A column reference. `lookupValue` is true when written as `_<column>_value`. */
export interface PropertyOperand {
  readonly kind: 'property'
  /** Logical (and SQL) name of the column, from the TableDef. */
  readonly column: string
  readonly lookupValue: boolean
}

/** A string literal, quotes removed and '' unescaped. */
export interface StringLiteral {
  readonly kind: 'string'
  readonly value: string
}

/** A numeric literal, kept as written so decimal scaling stays exact. */
export interface NumberLiteral {
  readonly kind: 'number'
  /** Matches NUMBER_PATTERN: optional '-', digits, optional fraction and exponent. */
  readonly text: string
}

export interface BooleanLiteral {
  readonly kind: 'boolean'
  readonly value: boolean
}

export interface NullLiteral {
  readonly kind: 'null'
}

/** An unquoted GUID, lower-cased. */
export interface GuidLiteral {
  readonly kind: 'guid'
  readonly value: string
}

/** An unquoted date (YYYY-MM-DD). */
export interface DateLiteral {
  readonly kind: 'date'
  readonly value: string
}

/** An unquoted date-time, normalised to UTC 'YYYY-MM-DDTHH:MM:SSZ'. */
export interface DateTimeLiteral {
  readonly kind: 'datetime'
  readonly value: string
}

/** Any literal value. */
export type Literal =
  | StringLiteral
  | NumberLiteral
  | BooleanLiteral
  | NullLiteral
  | GuidLiteral
  | DateLiteral
  | DateTimeLiteral

/** Either side of a comparison. */
export type Operand = PropertyOperand | Literal

/** `left op right`. At least one side is a property; parsing checks the types agree. */
export interface ComparisonNode {
  readonly kind: 'compare'
  readonly operator: ComparisonOperator
  readonly left: Operand
  readonly right: Operand
}

/** `contains(col,'x')`, `startswith(col,'x')`, `endswith(col,'x')` on a string or memo column. */
export interface StringFunctionNode {
  readonly kind: 'function'
  readonly name: StringFunctionName
  readonly property: PropertyOperand
  readonly value: StringLiteral
}

export interface AndNode {
  readonly kind: 'and'
  readonly left: FilterNode
  readonly right: FilterNode
}

export interface OrNode {
  readonly kind: 'or'
  readonly left: FilterNode
  readonly right: FilterNode
}

export interface NotNode {
  readonly kind: 'not'
  readonly operand: FilterNode
}

/** A boolean $filter expression. */
export type FilterNode = ComparisonNode | StringFunctionNode | AndNode | OrNode | NotNode
