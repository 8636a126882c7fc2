import { createBusinessUnit, deleteBusinessUnit } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { represent } from './create-entity.ts'
import { withDataverseNotFound } from './odata-errors.ts'
import { entityData, type Operation } from './operation.ts'
import { singleRecordOptions } from './retrieve-entity.ts'

/**
 * POST businessunits `{ name, "parentbusinessunitid@odata.bind": "/businessunits(<id>)" }`:
 * createBusinessUnit — the unit and its default team in one transaction (docs/authz.md §12).
 * 204 + OData-EntityId, or 201 with return=representation.
 *
 * @throws AppError FORBIDDEN, RECORD_INVALID (other columns, no parent), RECORD_NOT_FOUND
 */
export async function createBusinessUnitEntity(
  op: Operation,
  table: TableDef,
): Promise<ODataResponse> {
  const options = op.prefer.returnRepresentation ? singleRecordOptions(op, table) : undefined
  const data = await entityData(op, table, op.req.body)
  const other = Object.keys(data).find((k) => k !== 'name' && k !== 'parentbusinessunitid')
  if (other !== undefined) {
    throw new AppError(
      'RECORD_INVALID',
      `Column '${other}': a business unit is created with a name and a parent only.`,
      { details: [{ path: other, message: 'not supported when creating a business unit' }] },
    )
  }
  const name = data['name']
  const parent = data['parentbusinessunitid']
  if (typeof name !== 'string' || typeof parent !== 'string') {
    throw new AppError(
      'RECORD_INVALID',
      'A business unit needs a name and "parentbusinessunitid@odata.bind".',
      {
        details: [
          { path: typeof name === 'string' ? 'parentbusinessunitid' : 'name', message: 'required' },
        ],
      },
    )
  }
  const { id } = await createBusinessUnit({ records: op.records, env: op.env }, op.api.caller, {
    name,
    parentId: parent,
  })
  return represent(op, table, id, 204, 201, options)
}

/**
 * DELETE businessunits(<id>): deleteBusinessUnit — refused (409) while the unit has child
 * units, users or teams besides its default team, which goes with it.
 */
export async function deleteBusinessUnitEntity(
  op: Operation,
  table: TableDef,
  id: string,
): Promise<ODataResponse> {
  await withDataverseNotFound(table.name, id, () =>
    deleteBusinessUnit({ records: op.records, env: op.env }, op.api.caller, id),
  )
  return { status: 204, headers: {} }
}
