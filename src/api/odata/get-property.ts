import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { withDataverseNotFound } from './odata-errors.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'
import { resolvePropertySegment } from './resolve-property.ts'

/**
 * GET /<entityset>(<id>)/<property> → `{"@odata.context":…,"value":…}`, and …/$value → the raw
 * value as text/plain (dataverse-spec §7). A null value answers 204 No Content, as in OData.
 */
export async function getProperty(
  op: Operation,
  table: TableDef,
  id: string,
  name: string,
  raw: boolean,
): Promise<ODataResponse> {
  const column = resolvePropertySegment(table, name)
  const record = await withDataverseNotFound(table.name, id, () =>
    op.records.retrieveRecord(op.env, table.name, id, {
      select: [column.name],
      ...withScope(scopeFor(op, table, 'retrieve')),
    }),
  )
  const value = record[column.name] ?? null
  if (value === null) return { status: 204, headers: {} }
  if (raw) {
    return {
      status: 200,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: String(value),
    }
  }
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#${table.entitySetName}(${id})/${name}`,
      value,
    },
  }
}
