import { actorOf } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { parseCondition } from './etag.ts'
import { withDataverseNotFound } from './odata-errors.ts'
import { scopeFor, withScope, type Operation } from './operation.ts'
import { expectedVersion, failUnmatchable, withVersionMismatch } from './upsert-entity.ts'

/** DELETE /<entityset>(<id>) (dataverse-spec §7): 204; `If-Match` → 412 on a version mismatch. */
export async function deleteEntity(
  op: Operation,
  table: TableDef,
  id: string,
): Promise<ODataResponse> {
  const ifMatch = parseCondition(op.req.headers['if-match'])
  if (ifMatch.kind === 'never') return failUnmatchable(op, table, id)
  const version = expectedVersion(ifMatch)
  await withDataverseNotFound(table.name, id, () =>
    withVersionMismatch(() =>
      op.records.deleteRecord(op.env, table.name, id, {
        ...actorOf(op.api.caller),
        ...(version === undefined ? {} : { ifVersion: version }),
        ...withScope(scopeFor(op, table, 'delete')),
      }),
    ),
  )
  return { status: 204, headers: {} }
}
