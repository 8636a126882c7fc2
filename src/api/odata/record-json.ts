import type { ColumnDef, RecordData, TableDef } from '../../records/index.ts'
import {
  ASSOCIATED_NAVIGATION_PROPERTY,
  FORMATTED_VALUE,
  LOOKUP_LOGICAL_NAME,
} from './annotations.ts'
import { etagOf } from './etag.ts'
import { formattedValue } from './formatted-value.ts'
import type { LookupTargets } from './lookup-targets.ts'
import { singleNavigationName } from './navigation.ts'
import type { AnnotationFilter } from './prefer.ts'

/** How a record is written out. */
export interface RecordJsonOptions {
  readonly annotations?: AnnotationFilter | undefined
  readonly lookups?: LookupTargets | undefined
  /** Columns to write (the $select plus the primary id); every column read when absent. */
  readonly columns?: ReadonlySet<string> | undefined
}

/**
 * A reusable writer for records of one table (annotation decisions made once). `context`,
 * when given, is written first as `@odata.context` (a single-record response).
 */
export type RecordWriter = (record: RecordData, context?: string) => Record<string, unknown>

/**
 * Writes records the way Dataverse does (dataverse-spec §7): `@odata.etag` first, lookups as
 * `_<column>_value`, and, when include-annotations asks, FormattedValue, lookuplogicalname and
 * associatednavigationproperty annotations.
 */
export function recordWriter(table: TableDef, options: RecordJsonOptions = {}): RecordWriter {
  const want = options.annotations
  const formatted = want?.(FORMATTED_VALUE) === true
  const logical = want?.(LOOKUP_LOGICAL_NAME) === true
  const navigation = want?.(ASSOCIATED_NAVIGATION_PROPERTY) === true
  const keep = options.columns
  const lookups = options.lookups
  // Every column (no $select): the record's keys are the table's columns in definition order
  // (records.retrieveRecord and queryRecords read them so), so the definition is walked
  // directly; with a $select, the record's own (request) order.
  let byName: Map<string, ColumnDef> | undefined
  const columnsOf = (record: RecordData): readonly ColumnDef[] => {
    if (keep === undefined) return table.columns
    byName ??= new Map<string, ColumnDef>(table.columns.map((c) => [c.name, c]))
    const named = byName
    const list: ColumnDef[] = []
    for (const name in record) {
      const column = named.get(name)
      if (column !== undefined && keep.has(name)) list.push(column)
    }
    return list
  }
  return (record, context) => {
    const out: Record<string, unknown> =
      context === undefined
        ? { '@odata.etag': etagOf(record['versionnumber'] ?? null) }
        : { '@odata.context': context, '@odata.etag': etagOf(record['versionnumber'] ?? null) }
    for (const column of columnsOf(record)) {
      const name = column.name
      const stored = record[name]
      if (stored === undefined && !Object.hasOwn(record, name)) continue
      const value = stored ?? null
      if (column.type !== 'lookup') {
        if (formatted) {
          const text = formattedValue(column, value)
          if (text !== undefined) out[`${name}@${FORMATTED_VALUE}`] = text
        }
        out[name] = value
        continue
      }
      const key = `_${name}_value`
      if (typeof value === 'string' && (formatted || logical || navigation)) {
        const targets = column.options.targets ?? []
        const resolved = lookups?.get(value)
        const target = targets.length === 1 ? targets[0] : resolved?.table
        if (formatted && resolved !== undefined && resolved.name !== null) {
          out[`${key}@${FORMATTED_VALUE}`] = String(resolved.name)
        }
        if (navigation && target !== undefined) {
          out[`${key}@${ASSOCIATED_NAVIGATION_PROPERTY}`] = singleNavigationName(column, target)
        }
        if (logical && target !== undefined) out[`${key}@${LOOKUP_LOGICAL_NAME}`] = target
      }
      out[key] = value
    }
    return out
  }
}

/** The columns a response shows for a $select: the selected ones plus the primary id. */
export function shownColumns(
  table: TableDef,
  select: readonly string[] | undefined,
): ReadonlySet<string> | undefined {
  if (select === undefined) return undefined
  return new Set([...select, table.primaryIdColumn])
}
