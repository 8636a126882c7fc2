import { parseQueryOptions, type ParsedQueryOptions } from '../../query/index.ts'
import type { RecordData, TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { parseCondition } from './etag.ts'
import { resolveLookupTargets } from './lookup-targets.ts'
import { badRequest, withDataverseNotFound } from './odata-errors.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'
import { parseExpand, type ExpandItem } from './parse-expand.ts'
import { recordWriter, shownColumns } from './record-json.ts'
import { appliedPreferences } from './response-headers.ts'
import { columnsForExpand, runExpand } from './run-expand.ts'

const NO_OPTIONS: ParsedQueryOptions = { count: false }

function isEmpty(query: Readonly<Record<string, string>>): boolean {
  for (const _ in query) return false
  return true
}

/** $select and $expand of a single-record request; other options are refused. */
export function singleRecordOptions(op: Operation, table: TableDef): ParsedQueryOptions {
  // The common case, a GET without query options, parses nothing.
  if (isEmpty(op.req.query)) return NO_OPTIONS
  const options = parseQueryOptions(op.req.query, table)
  if (
    options.filter !== undefined ||
    options.orderBy !== undefined ||
    options.top !== undefined ||
    options.count ||
    options.skipToken !== undefined
  ) {
    throw badRequest('Only $select and $expand apply to a single record.')
  }
  return options
}

/**
 * Reads one record through the caller's retrieve scope and writes it with its $expand
 * navigation properties. A record outside the scope is "Does Not Exist" (404), never 403.
 */
export async function readEntity(
  op: Operation,
  table: TableDef,
  id: string,
  options: ParsedQueryOptions,
  items: readonly ExpandItem[],
): Promise<{ record: RecordData; body: Record<string, unknown> }> {
  const scope = scopeFor(op, table, 'retrieve')
  const select =
    options.select === undefined
      ? undefined
      : [...new Set([...options.select, ...columnsForExpand(items)])]
  const record = await withDataverseNotFound(table.name, id, () =>
    op.records.retrieveRecord(op.env, table.name, id, {
      ...withScope(scope),
      ...(select === undefined ? {} : { select }),
    }),
  )
  const context = `${op.api.webApiUrl}$metadata#${table.entitySetName}${
    options.select === undefined ? '' : `(${options.select.join(',')})`
  }/$entity`
  const write = recordWriter(table, {
    annotations: op.prefer.annotations,
    // Only annotations need the lookups' targets (no extra turn without them).
    lookups:
      op.prefer.annotations === undefined
        ? undefined
        : await resolveLookupTargets(op, table, [record]),
    columns: shownColumns(table, options.select),
  })
  const body = write(record, context)
  if (items.length > 0) await runExpand(op, table, [record], [body], items)
  return { record, body }
}

/**
 * GET /<entityset>(<id>) (dataverse-spec §7). `If-None-Match: W/"<version>"` answers 304 when
 * the record is unchanged, except with $expand or an include-annotations preference
 * (dataverse-spec §7 Concurrency).
 */
export async function retrieveEntity(
  op: Operation,
  table: TableDef,
  id: string,
): Promise<ODataResponse> {
  const options = singleRecordOptions(op, table)
  const items: readonly ExpandItem[] =
    options.expand === undefined ? [] : await parseExpand(op, table, options.expand)
  const { record, body } = await readEntity(op, table, id, options, items)
  const condition = parseCondition(op.req.headers['if-none-match'])
  if (
    condition.kind === 'version' &&
    items.length === 0 &&
    op.prefer.annotations === undefined &&
    String(record['versionnumber']) === condition.version
  ) {
    return { status: 304, headers: {} }
  }
  return { status: 200, headers: appliedPreferences(op), body }
}
