import { createTeamTemplate, deleteTeamTemplate, rightAccess } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { represent } from './create-entity.ts'
import { withDataverseNotFound } from './odata-errors.ts'
import { entityData, type Operation } from './operation.ts'
import { singleRecordOptions } from './retrieve-entity.ts'

const COLUMNS = new Set([
  'teamtemplatename',
  'objecttypecode',
  'defaultaccessrightsmask',
  'description',
])

/**
 * POST teamtemplates `{ teamtemplatename, objecttypecode: "<table>", defaultaccessrightsmask }`:
 * createTeamTemplate — a user-owned table, a non-zero AccessRights mask, Dataverse's limits
 * (docs/authz.md §16). 204 + OData-EntityId, or 201 with return=representation.
 *
 * @throws AppError FORBIDDEN, RECORD_INVALID, VALIDATION, TEAM_TEMPLATE_LIMIT
 */
export async function createTeamTemplateEntity(
  op: Operation,
  table: TableDef,
): Promise<ODataResponse> {
  const options = op.prefer.returnRepresentation ? singleRecordOptions(op, table) : undefined
  const data = await entityData(op, table, op.req.body)
  const other = Object.keys(data).find((k) => !COLUMNS.has(k))
  if (other !== undefined) {
    throw new AppError(
      'RECORD_INVALID',
      `Column '${other}': a team template is created with a name, a table, a mask and a description only.`,
      { details: [{ path: other, message: 'not supported when creating a team template' }] },
    )
  }
  const name = data['teamtemplatename']
  const objectType = data['objecttypecode']
  const mask = data['defaultaccessrightsmask']
  const description = data['description']
  if (typeof name !== 'string' || typeof objectType !== 'string' || typeof mask !== 'number') {
    throw new AppError(
      'RECORD_INVALID',
      'A team template needs teamtemplatename, objecttypecode and defaultaccessrightsmask.',
      { details: [{ path: 'teamtemplate', message: 'required columns missing' }] },
    )
  }
  const id = await createTeamTemplate({ records: op.records, env: op.env }, op.api.caller, {
    name,
    table: objectType,
    accessMask: mask,
    ...(typeof description === 'string' ? { description } : {}),
  })
  return represent(op, table, id, 204, 201, options)
}

/** DELETE teamtemplates(<id>): deleteTeamTemplate — its access teams and their shares go too. */
export async function deleteTeamTemplateEntity(
  op: Operation,
  table: TableDef,
  id: string,
): Promise<ODataResponse> {
  await withDataverseNotFound(table.name, id, () =>
    deleteTeamTemplate({ records: op.records, env: op.env }, op.api.caller, id),
  )
  return { status: 204, headers: {} }
}

/**
 * PATCH teamtemplates(<id>): only of an existing template (an upsert would create one around
 * the limits). What the body may change — not `objecttypecode`, only a mask of AccessRights
 * flags — is checked on every write path by refuseProtectedTeamColumns (change-access.ts); a
 * new mask applies to access teams created afterwards only (docs/authz.md §16).
 *
 * @throws AppError RECORD_NOT_FOUND
 */
export async function refuseTeamTemplateChange(
  op: Operation,
  table: TableDef,
  id: string | undefined,
): Promise<void> {
  const scope = rightAccess(op.api.caller, table, 'Write')
  if (id === undefined) throw new AppError('RECORD_NOT_FOUND', 'No team template has that key.')
  await withDataverseNotFound(table.name, id, () =>
    op.records.retrieveRecord(op.env, table.name, id, {
      select: [table.primaryIdColumn],
      ...(scope === undefined ? {} : { scope }),
    }),
  )
}
