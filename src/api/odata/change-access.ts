import type { ColumnDef, RecordScope, TableDef } from '../../records/index.ts'
import {
  accessDenied,
  changeRights,
  OWNER_COLUMN,
  recordChangeAccess,
  requireAssignOnCreate,
  requireHierarchySettingsPrivilege,
  rightAccess,
  type Right,
} from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { Operation } from './operation.ts'
import { refuseProtectedTeamColumns } from './protected-team-columns.ts'

/**
 * The caller's scope for a create or update with `data` (authz recordChangeAccess): Create /
 * Write, plus Append when a lookup is set and Assign when the owner changes, in one predicate;
 * a create owned by someone else needs the Assign privilege; a change of a hierarchy security
 * setting needs prvChangeHierarchySecuritySettings; the columns that make a team or team
 * template what it is are guarded (refuseProtectedTeamColumns).
 *
 * @throws AppError FORBIDDEN when one of the privileges is held at no depth (0x80040220),
 *   RECORD_INVALID for a protected team or team template column
 */
export function changeScope(
  op: Operation,
  table: TableDef,
  operation: 'create' | 'update',
  data: Readonly<Record<string, unknown>>,
): RecordScope | undefined {
  refuseProtectedTeamColumns(table, operation, data)
  if (operation === 'create') requireAssignOnCreate(op.api.caller, table, data)
  const scope = recordChangeAccess(
    op.api.caller,
    table,
    operation,
    changeRights(table, data, operation),
  )
  requireHierarchySettingsPrivilege(op.api.caller, table, data)
  return scope
}

/**
 * Before an update that needs more than Write: names the first right the caller lacks on
 * record `id` (403 0x80048306 "… does not have AppendAccess right(s) …") when it can read the
 * record; a record it can't read is left to the update, which answers 404. The update's own
 * predicate (changeScope) still decides, atomically.
 *
 * @throws AppError FORBIDDEN, RECORD_ACCESS_DENIED
 */
export async function requireChangeRights(
  op: Operation,
  table: TableDef,
  id: string,
  data: Readonly<Record<string, unknown>>,
): Promise<void> {
  const extra = changeRights(table, data, 'update')
  if (extra.length === 0) return
  for (const right of ['Write', ...extra] as Right[]) {
    if (await inScope(op, table, id, right)) continue
    if (await readable(op, table, id)) throw accessDenied(op.api.caller.systemUserId, right, table)
    return
  }
}

/**
 * Whether the record a lookup `column` is bound to may be bound (the canSee of
 * parseEntityBody): the owner needs only to be visible (its change is Assign, checked on the
 * record); any other lookup needs Append To on the target record. A target the caller can't
 * read answers false (refused as if it did not exist); one it can read without Append To is
 * 403 naming the right.
 *
 * @throws AppError FORBIDDEN (prvAppendTo<table> held at no depth), RECORD_ACCESS_DENIED
 */
export async function canBind(
  op: Operation,
  column: ColumnDef,
  target: TableDef,
  id: string,
): Promise<boolean> {
  if (column.name === OWNER_COLUMN) return readable(op, target, id)
  if (await inScope(op, target, id, 'AppendTo')) return true
  if (await readable(op, target, id)) {
    throw accessDenied(op.api.caller.systemUserId, 'AppendTo', target)
  }
  return false
}

/** Whether record `id` is in the caller's scope for `right`. @throws FORBIDDEN */
async function inScope(op: Operation, table: TableDef, id: string, right: Right): Promise<boolean> {
  const scope = rightAccess(op.api.caller, table, right)
  if (scope === undefined) return true
  try {
    await op.records.retrieveRecord(op.env, table.name, id, {
      select: [table.primaryIdColumn],
      scope,
    })
    return true
  } catch (e) {
    if (e instanceof AppError && (e.code === 'RECORD_NOT_FOUND' || e.code === 'VALIDATION'))
      return false
    throw e
  }
}

/** Whether the caller can read record `id` (false without Read at any depth). */
async function readable(op: Operation, table: TableDef, id: string): Promise<boolean> {
  try {
    return await inScope(op, table, id, 'Read')
  } catch (e) {
    if (e instanceof AppError && e.code === 'FORBIDDEN') return false
    throw e
  }
}
