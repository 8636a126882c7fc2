import { actorOf } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { changeScope } from './change-access.ts'
import { entityData, withScope, type Operation } from './operation.ts'
import { parseExpand } from './parse-expand.ts'
import { entityIdHeader } from './response-headers.ts'
import { readEntity, singleRecordOptions } from './retrieve-entity.ts'

/**
 * POST /<entityset> (dataverse-spec §7): 204 with `OData-EntityId`, or with
 * `Prefer: return=representation` 201 and the record (honouring $select and $expand) plus
 * `Preference-Applied: return=representation`. The caller's create scope is checked by the
 * records service inside the insert's transaction.
 */
export async function createEntity(op: Operation, table: TableDef): Promise<ODataResponse> {
  const options = op.prefer.returnRepresentation ? singleRecordOptions(op, table) : undefined
  const data = await entityData(op, table, op.req.body)
  const id = await op.records.createRecord(op.env, table.name, data, {
    ...actorOf(op.api.caller),
    ...withScope(changeScope(op, table, 'create', data)),
  })
  return represent(op, table, id, 204, 201, options)
}

/** 204 + OData-EntityId, or the record with `status` when return=representation was asked. */
export async function represent(
  op: Operation,
  table: TableDef,
  id: string,
  plainStatus: number,
  status: number,
  options: ReturnType<typeof singleRecordOptions> | undefined,
): Promise<ODataResponse> {
  const headers = entityIdHeader(op, table.entitySetName, id)
  if (options === undefined) return { status: plainStatus, headers }
  const items = options.expand === undefined ? [] : await parseExpand(op, table, options.expand)
  const { body } = await readEntity(op, table, id, options, items)
  return {
    status,
    headers: { ...headers, 'Preference-Applied': 'return=representation' },
    body,
  }
}
