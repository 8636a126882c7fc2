import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { entityData, type Operation } from './operation.ts'
import { updateOne } from './put-property.ts'
import { resolvePropertySegment } from './resolve-property.ts'

/** DELETE /<entityset>(<id>)/<property>: sets the property to null (dataverse-spec §7). */
export async function deleteProperty(
  op: Operation,
  table: TableDef,
  id: string,
  name: string,
): Promise<ODataResponse> {
  const column = resolvePropertySegment(table, name)
  if (column.type === 'lookup') {
    return updateOne(
      op,
      table,
      id,
      await entityData(op, table, { [`${column.name}@odata.bind`]: null }),
    )
  }
  return updateOne(op, table, id, await entityData(op, table, { [column.name]: null }))
}

/** DELETE /<entityset>(<id>)/<single-valued navigation>/$ref: clears the lookup. */
export async function deleteReference(
  op: Operation,
  table: TableDef,
  id: string,
  navigation: string,
): Promise<ODataResponse> {
  return updateOne(
    op,
    table,
    id,
    await entityData(op, table, { [`${navigation}@odata.bind`]: null }),
  )
}
