import { column, STATE_OPTIONS, STATUS_OPTIONS, stringColumn } from './internal/column-builders.ts'
import type { ColumnDef, OwnershipType } from './model.ts'

/** Names of the platform-maintained columns every table has besides its primary id. */
export const COMMON_SYSTEM_COLUMNS = [
  'createdon',
  'createdby',
  'modifiedon',
  'modifiedby',
  'createdonbehalfby',
  'modifiedonbehalfby',
  'statecode',
  'statuscode',
  'versionnumber',
] as const

/** Extra system columns of user-owned tables. */
export const OWNER_COLUMNS = ['ownerid', 'owningbusinessunit'] as const

/** System columns a client may write: state, status and ownerid (an update of it is Assign). */
export const CLIENT_WRITABLE_SYSTEM_COLUMNS: ReadonlySet<string> = new Set([
  'statecode',
  'statuscode',
  'ownerid',
])

/** Column names SQLite treats specially; never used as logical names. */
export const RESERVED_COLUMN_NAMES: ReadonlySet<string> = new Set(['rowid', 'oid', '_rowid_'])

/** The primary id column `<table>id`. */
export function primaryIdColumn(tableName: string, displayName: string): ColumnDef {
  return column(
    `${tableName}id`,
    'uniqueidentifier',
    displayName,
    {},
    {
      required: true,
      system: true,
      primary: 'id',
    },
  )
}

/** The primary name column (a string, not system: clients write it). */
export function primaryNameColumn(name: string, displayName: string, maxLength = 100): ColumnDef {
  return { ...stringColumn(name, displayName, maxLength), primary: 'name' }
}

/** The platform-maintained columns after the primary id, for a table of `ownership`. */
export function systemColumns(ownership: OwnershipType): ColumnDef[] {
  const sys = { required: true, system: true }
  const restrict = { onDelete: 'restrict' } as const
  const columns: ColumnDef[] = [
    column('createdon', 'datetime', 'Created On', { format: 'datetime' }, sys),
    column('createdby', 'lookup', 'Created By', { targets: ['systemuser'], ...restrict }, sys),
    column('modifiedon', 'datetime', 'Modified On', { format: 'datetime' }, sys),
    column('modifiedby', 'lookup', 'Modified By', { targets: ['systemuser'], ...restrict }, sys),
    ...onBehalfOfColumns(),
  ]
  if (ownership === 'user') {
    columns.push(
      column('ownerid', 'lookup', 'Owner', { targets: ['systemuser', 'team'], ...restrict }, sys),
      column(
        'owningbusinessunit',
        'lookup',
        'Owning Business Unit',
        { targets: ['businessunit'], ...restrict },
        sys,
      ),
    )
  }
  columns.push(
    column('statecode', 'choice', 'Status', { choices: STATE_OPTIONS }, sys),
    column('statuscode', 'choice', 'Status Reason', { choices: STATUS_OPTIONS }, sys),
    column('versionnumber', 'bigint', 'Version Number', {}, sys),
  )
  return columns
}

/**
 * `createdonbehalfby` / `modifiedonbehalfby`: the real caller when a record was created or last
 * modified by a user impersonating `createdby` / `modifiedby` (dataverse-spec §3
 * Impersonation), null otherwise. Every table has them (schema version 7 added them to the
 * tables that existed before).
 */
export function onBehalfOfColumns(): ColumnDef[] {
  const restrict = { targets: ['systemuser'], onDelete: 'restrict' } as const
  return [
    column('createdonbehalfby', 'lookup', 'Created By (Delegate)', restrict, { system: true }),
    column('modifiedonbehalfby', 'lookup', 'Modified By (Delegate)', restrict, { system: true }),
  ]
}
