/**
 * OData query options (dataverse-spec §7) for tables described by TableDef: parse them into
 * a checked AST, then compile that to composable, parameterised Kysely expressions.
 */
export type * from './filter-ast.ts'
export type { DynamicDb, DynamicExpressionBuilder, WhereFactory } from './dynamic-db.ts'
export {
  MAX_COUNT,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  MAX_FILTER_PREDICATES,
  MAX_OPTION_LENGTH,
  MAX_ORDER_BY_ITEMS,
  MAX_SELECT_ITEMS,
  MAX_TOP,
} from './limits.ts'
export { parseFilter, type AliasValues } from './parse-filter.ts'
export { parseLiteral } from './parse-literal.ts'
export { parseOrderBy, type OrderByItem, type SortDirection } from './parse-order-by.ts'
export { parseQueryOptions, type ParsedQueryOptions } from './parse-query-options.ts'
export { parseSelect } from './parse-select.ts'
export { parseTop } from './parse-top.ts'
export { printFilter, printOperand } from './print-filter.ts'
export {
  DEFAULT_SCALED_PRECISION,
  dateTimeFormat,
  storageScale,
  toStorageValue,
  type StorageValue,
} from './to-storage-value.ts'
export { compileFilter, escapeLike, type CompileFilterOptions } from './compile-filter.ts'
export { hasBlindIndex, isEncrypted, type BlindIndexer } from './encrypted-column.ts'
export { compileOrderBy, type OrderByTerm } from './compile-order-by.ts'
export { compileKeysetAfter } from './compile-keyset.ts'
export { compileSelect } from './compile-select.ts'
export { buildSelectQuery, type DynamicSelectQuery } from './build-select-query.ts'
export { buildCountQuery, type CountRow } from './build-count-query.ts'
export {
  MAX_APPLY_ITEMS,
  parseApply,
  type AggregateMethod,
  type ApplyAggregate,
  type ApplyGroup,
  type ApplyNode,
} from './parse-apply.ts'
export { aggregateKey, buildAggregateQuery, groupKey } from './build-aggregate-query.ts'
export { findColumn } from './column-ref.ts'
