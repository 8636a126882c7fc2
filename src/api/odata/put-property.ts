import { actorOf } from '../../authz/index.ts'
import { z } from 'zod'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { withDataverseNotFound } from './odata-errors.ts'
import { changeScope, requireChangeRights } from './change-access.ts'
import { entityData, withScope, type Operation } from './operation.ts'
import { resolvePropertySegment } from './resolve-property.ts'
import { withVersionMismatch } from './upsert-entity.ts'

const VALUE_BODY = z.strictObject({ value: z.unknown() })
const REF_BODY = z.strictObject({ '@odata.id': z.string().min(1).max(2048) })

const badBody = (expected: string): AppError =>
  new AppError('VALIDATION', `The request body must be ${expected}.`, {
    details: [{ path: '', message: `expected ${expected}` }],
  })

/** Writes one change through the caller's update scope. */
export async function updateOne(
  op: Operation,
  table: TableDef,
  id: string,
  data: Readonly<Record<string, unknown>>,
): Promise<ODataResponse> {
  const scope = changeScope(op, table, 'update', data)
  await withDataverseNotFound(table.name, id, async () => {
    await requireChangeRights(op, table, id, data)
    return withVersionMismatch(() =>
      op.records.updateRecord(op.env, table.name, id, data, {
        ...actorOf(op.api.caller),
        ...withScope(scope),
      }),
    )
  })
  return { status: 204, headers: {} }
}

/**
 * PUT /<entityset>(<id>)/<property> with `{"value": …}` (dataverse-spec §7: PUT sets a single
 * property). Lookups are set through PUT …/<navigation>/$ref instead.
 */
export async function putProperty(
  op: Operation,
  table: TableDef,
  id: string,
  name: string,
): Promise<ODataResponse> {
  const column = resolvePropertySegment(table, name)
  if (column.type === 'lookup') {
    throw new AppError(
      'RECORD_INVALID',
      'A lookup is set with PUT …/<navigation property>/$ref and {"@odata.id": "<url>"}.',
    )
  }
  const parsed = VALUE_BODY.safeParse(op.req.body)
  if (!parsed.success) throw badBody('{"value": …}')
  const data = await entityData(op, table, { [column.name]: parsed.data.value })
  return updateOne(op, table, id, data)
}

/** PUT /<entityset>(<id>)/<single-valued navigation>/$ref with `{"@odata.id": "<url>"}`. */
export async function putReference(
  op: Operation,
  table: TableDef,
  id: string,
  navigation: string,
): Promise<ODataResponse> {
  const parsed = REF_BODY.safeParse(op.req.body)
  if (!parsed.success) throw badBody('{"@odata.id": "<entity url>"}')
  const data = await entityData(op, table, {
    [`${navigation}@odata.bind`]: parsed.data['@odata.id'],
  })
  return updateOne(op, table, id, data)
}
