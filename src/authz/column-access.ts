import type { FilterNode } from '../query/index.ts'
import type { RecordData, RecordValue, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import { actingAlone, type Caller } from './caller.ts'
import { predefinedRoleByName, SYSTEM_ADMINISTRATOR } from './predefined-roles.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'

/**
 * What column security (docs/authz.md §12) leaves a caller of one table's secured columns. Each
 * set holds the secured columns the caller's field security profiles don't grant that
 * permission on; a per-record column share (principalobjectattributeaccess) can still open
 * Read or Update of one column on one record.
 */
export interface ColumnAccess {
  readonly table: string
  /** Not readable on every record: null in results, refused in $filter/$orderby/keys. */
  readonly unreadable: ReadonlySet<string>
  /** May not be set on create. */
  readonly noCreate: ReadonlySet<string>
  /** May not be set on update (unless the record's column is shared with update access). */
  readonly noUpdate: ReadonlySet<string>
}

const SYSTEM_ADMINISTRATOR_TEMPLATE = predefinedRoleByName(SYSTEM_ADMINISTRATOR)?.templateId

/**
 * Whether the caller holds the System Administrator role (directly or through a team):
 * Dataverse puts System Administrators in the predefined "System Administrator" field security
 * profile, which grants every permission on every secured column.
 */
export function isSystemAdministrator(caller: Caller): boolean {
  // Impersonating, both must be (the intersection, docs/authz.md §8).
  if (caller.impersonator !== undefined && !isSystemAdministrator(caller.impersonator)) {
    return false
  }
  const security = caller.security ?? securityFromRoleNames(caller)
  return security.grants.some((g) => g.templateId === SYSTEM_ADMINISTRATOR_TEMPLATE)
}

/** The secured columns of `table` (ColumnOptions.secured). */
export const securedColumns = (table: TableDef): string[] =>
  table.columns.filter((c) => c.options.secured === true).map((c) => c.name)

/**
 * The one column security decision: undefined when the caller may read and write every column
 * of `table` (no secured column, or a System Administrator), else what it may not do. Pure:
 * the caller's profile permissions were resolved with its security context.
 */
export function columnAccess(caller: Caller, table: TableDef): ColumnAccess | undefined {
  const secured = securedColumns(table)
  if (secured.length === 0) return undefined
  // Impersonating: a column is usable only if both users may (the sets united).
  const users =
    caller.impersonator === undefined ? [caller] : [actingAlone(caller), caller.impersonator]
  const unreadable = new Set<string>()
  const noCreate = new Set<string>()
  const noUpdate = new Set<string>()
  for (const user of users) {
    if (isSystemAdministrator(user)) continue
    const granted = user.security?.fieldPermissions
    for (const column of secured) {
      const p = granted?.get(`${table.name}.${column}`)
      if (p?.read !== true) unreadable.add(column)
      if (p?.create !== true) noCreate.add(column)
      if (p?.update !== true) noUpdate.add(column)
    }
  }
  if (unreadable.size === 0 && noCreate.size === 0 && noUpdate.size === 0) return undefined
  return { table: table.name, unreadable, noCreate, noUpdate }
}

/** The principals a per-record column share may name for the caller: itself and its teams. */
export function sharePrincipals(caller: Caller): string[] {
  return [caller.systemUserId, ...(caller.security?.teams ?? []).map((t) => t.teamId)]
}

/** 403 COLUMN_READ_DENIED naming the column and the clause, never a value. */
export function columnReadDenied(caller: Caller, table: string, column: string, use: string) {
  return new AppError(
    'COLUMN_READ_DENIED',
    `The column '${table}.${column}' is secured and the caller (Id=${caller.systemUserId}) can't read it on every record, so it can't be used in ${use}.`,
    { details: [{ path: column, message: 'secured column without read permission' }] },
  )
}

/**
 * Refuses a use of secured columns the caller can't read on every record where the column's
 * values would decide the answer ($filter, $orderby, an alternate key): answering would let
 * the caller probe the values (docs/authz.md §6).
 *
 * @throws AppError COLUMN_READ_DENIED
 */
export function refuseUnreadableColumns(
  caller: Caller,
  access: ColumnAccess | undefined,
  columns: Iterable<string>,
  use: string,
): void {
  if (access === undefined) return
  for (const column of columns) {
    if (access.unreadable.has(column)) throw columnReadDenied(caller, access.table, column, use)
  }
}

/** Every column a $filter names (comparisons on either side, string functions). */
export function filterColumns(node: FilterNode | undefined): string[] {
  if (node === undefined) return []
  switch (node.kind) {
    case 'compare':
      return [node.left, node.right].flatMap((o) => (o.kind === 'property' ? [o.column] : []))
    case 'function':
      return [node.property.column]
    case 'and':
    case 'or':
      return [...filterColumns(node.left), ...filterColumns(node.right)]
    case 'not':
      return filterColumns(node.operand)
  }
}

/**
 * Refuses setting a secured column without the permission (dataverse-spec §3: Create on
 * create, Update on update; `sharedForUpdate` holds the columns of this record shared with the
 * caller for update). A null on create sets nothing and is allowed.
 *
 * @throws AppError COLUMN_CREATE_DENIED, COLUMN_UPDATE_DENIED
 */
export function refuseUnwritableColumns(
  caller: Caller,
  access: ColumnAccess | undefined,
  data: Readonly<Record<string, unknown>>,
  operation: 'create' | 'update',
  sharedForUpdate: ReadonlySet<string> = new Set(),
): void {
  if (access === undefined) return
  for (const [column, value] of Object.entries(data)) {
    if (operation === 'create') {
      if (access.noCreate.has(column) && value !== null && value !== undefined) {
        throw new AppError(
          'COLUMN_CREATE_DENIED',
          `The column '${access.table}.${column}' is secured and the caller (Id=${caller.systemUserId}) has no Create permission on it.`,
          { details: [{ path: column, message: 'secured column without create permission' }] },
        )
      }
    } else if (access.noUpdate.has(column) && !sharedForUpdate.has(column)) {
      throw new AppError(
        'COLUMN_UPDATE_DENIED',
        `The column '${access.table}.${column}' is secured and the caller (Id=${caller.systemUserId}) has no Update permission on it for this record.`,
        { details: [{ path: column, message: 'secured column without update permission' }] },
      )
    }
  }
}

/** The unreadable columns `records` carry (the ones masking has to look at). */
export const unreadableIn = (access: ColumnAccess, records: readonly RecordData[]): string[] =>
  [...access.unreadable].filter((c) => records.some((r) => Object.hasOwn(r, c)))

/**
 * `record` with every column the caller can't read set to null (Dataverse returns a secured
 * column it can't read as null), except the columns `shared` with it for read on this record.
 */
export function maskRecord(
  record: RecordData,
  access: ColumnAccess,
  shared: ReadonlySet<string> = new Set(),
): RecordData {
  let masked: Record<string, RecordValue> | undefined
  for (const column of access.unreadable) {
    if (!Object.hasOwn(record, column) || shared.has(column)) continue
    masked ??= { ...record }
    masked[column] = null
  }
  return masked ?? record
}
