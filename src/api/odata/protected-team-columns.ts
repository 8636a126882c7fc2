import type { TableDef } from '../../records/index.ts'
import { ALL_ACCESS_RIGHTS } from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'

/** Team columns only AddUserToRecordTeam writes (system-managed access teams, docs/authz.md §16). */
const SYSTEM_MANAGED = [
  'teamtemplateid',
  'regardingobjectid',
  'regardingobjecttypecode',
  'systemmanaged',
]
/** Team columns fixed at creation: the kind of team and the Entra group it is bound to. */
const FIXED_AFTER_CREATE = ['teamtype', 'azureactivedirectoryobjectid']

const invalid = (column: string, message: string): AppError =>
  new AppError('RECORD_INVALID', message, {
    details: [{ path: column, message: 'not valid for this operation' }],
  })

/**
 * The Web API's guard on the columns that decide what a team or team template is, on every
 * create and update path (entity, upsert, single property, `$batch` parts; change-access.ts):
 * a team's type and group binding can't change after creation (a PATCH could otherwise turn an
 * owner team with roles into a group team that every token of a group joins), the
 * system-managed access team columns are written only by AddUserToRecordTeam, a team
 * template's table can't change, its access mask must be AccessRights flags, and a template is
 * created only through `POST teamtemplates` (its per-table limits), never by an upsert.
 *
 * @throws AppError RECORD_INVALID naming the column
 */
export function refuseProtectedTeamColumns(
  table: TableDef,
  operation: 'create' | 'update',
  data: Readonly<Record<string, unknown>>,
): void {
  if (table.name === 'team') {
    for (const column of SYSTEM_MANAGED) {
      if (Object.hasOwn(data, column)) {
        throw invalid(column, `'${column}' is managed by AddUserToRecordTeam.`)
      }
    }
    if (operation === 'update') {
      for (const column of FIXED_AFTER_CREATE) {
        if (Object.hasOwn(data, column)) {
          throw invalid(column, `A team's '${column}' can't be changed after it is created.`)
        }
      }
    }
    return
  }
  if (table.name !== 'teamtemplate') return
  if (operation === 'create') {
    throw invalid('teamtemplateid', 'Create team templates with POST teamtemplates.')
  }
  if (Object.hasOwn(data, 'objecttypecode')) {
    throw invalid('objecttypecode', "A team template's table can't be changed.")
  }
  if (Object.hasOwn(data, 'defaultaccessrightsmask')) {
    const mask = data['defaultaccessrightsmask']
    if (typeof mask !== 'number' || mask <= 0 || (mask & ~ALL_ACCESS_RIGHTS) !== 0) {
      throw invalid('defaultaccessrightsmask', 'The access mask must combine AccessRights flags.')
    }
  }
}
