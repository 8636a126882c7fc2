import type { Caller } from './caller.ts'
import type { RecordOperation, RecordScope, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import { buildRecordScope } from './build-record-scope.ts'
import { privilegeName, type Right } from './privileges.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'
import { resolveTablePrivilege } from './table-privilege.ts'

export { BASIC_USER, SYSTEM_ADMINISTRATOR } from './predefined-roles.ts'

/** The record right each operation needs (dataverse-spec §3). */
export const RIGHT_OF: Readonly<Record<RecordOperation, Right>> = {
  create: 'Create',
  retrieve: 'Read',
  query: 'Read',
  update: 'Write',
  delete: 'Delete',
}

/** 0x80040220 "Principal user (Id=…) is missing prv… privilege" (dataverse-spec §3, §7). */
export function privilegeDenied(userId: string, right: Right, table: TableDef): AppError {
  return new AppError(
    'FORBIDDEN',
    `Principal user (Id=${userId}) is missing ${privilegeName(right, table.name)} privilege.`,
  )
}

/**
 * The one decision of which rows of `table` a caller may touch for `operation`: undefined for
 * all rows, a RecordScope pushed into SQL for some, or FORBIDDEN for none. Every record path
 * (retrieve, query, $count, $expand, $batch, export) asks here. The model — business units,
 * teams, roles at five depths, member's privilege inheritance, shares — is in docs/authz.md.
 * A record outside the scope is reported as not found, unless the caller can read it (then
 * update and delete are RECORD_ACCESS_DENIED): existence is never revealed.
 *
 * @throws AppError FORBIDDEN when the caller holds the privilege at no depth
 */
export function recordAccess(
  caller: Caller,
  table: TableDef,
  operation: RecordOperation,
): RecordScope | undefined {
  const right = RIGHT_OF[operation]
  const scope = rightAccess(caller, table, right)
  if (scope === undefined || (operation !== 'update' && operation !== 'delete')) return scope
  // A record the caller can read but not change is 403 0x80048306; one it can't read stays 404
  // (docs/authz.md §6). Without Read at any depth, every record is 404.
  let read: RecordScope | undefined
  try {
    read = rightAccess(caller, table, 'Read')
  } catch (e) {
    if (e instanceof AppError && e.code === 'FORBIDDEN') return scope
    throw e
  }
  return {
    where: scope.where,
    denied: (op, t) => accessDenied(caller.systemUserId, RIGHT_OF[op], t),
    ...(read === undefined ? {} : { readable: read.where }),
  }
}

/** 0x80048306 "Principal user (Id=…) does not have WriteAccess right(s) for record …". */
export function accessDenied(userId: string, right: Right, table: TableDef): AppError {
  return new AppError(
    'RECORD_ACCESS_DENIED',
    `Principal user (Id=${userId}) does not have ${right}Access right(s) for this ${table.name} record.`,
  )
}

/**
 * recordAccess for any of the eight rights (Append, AppendTo, Assign and Share included): the
 * rows of `table` on which the caller holds `right`.
 *
 * @throws AppError FORBIDDEN when the caller holds the privilege at no depth
 */
export function rightAccess(
  caller: Caller,
  table: TableDef,
  right: Right,
): RecordScope | undefined {
  // Impersonation (docs/authz.md §8): the real caller must hold the privilege too (checked
  // first, so the error names whoever lacks it), and only rows both may touch are in scope.
  const real =
    caller.impersonator === undefined ? undefined : ownAccess(caller.impersonator, table, right)
  const own = ownAccess(caller, table, right)
  return caller.impersonator === undefined ? own : intersectScopes(own, real)
}

function ownAccess(caller: Caller, table: TableDef, right: Right): RecordScope | undefined {
  const security = caller.security ?? securityFromRoleNames(caller)
  const privilege = resolveTablePrivilege(security, table, right)
  if (privilege === undefined) throw privilegeDenied(caller.systemUserId, right, table)
  return buildRecordScope(privilege, table, right)
}

/**
 * The rows in both scopes (undefined: every row): the predicates ANDed in the same statement.
 * A scope's branches stay branches (each ANDed with the other scope), so an ordered, limited
 * query still walks one index per term (docs/authz.md §5).
 */
export function intersectScopes(
  a: RecordScope | undefined,
  b: RecordScope | undefined,
): RecordScope | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const [walked, other] = a.branches === undefined && b.branches !== undefined ? [b, a] : [a, b]
  const where: RecordScope['where'] = (eb, t) => eb.and([a.where(eb, t), b.where(eb, t)])
  const branches = walked.branches
  return branches === undefined
    ? { where }
    : {
        where,
        branches: (eb, t) => branches(eb, t).map((arm) => eb.and([arm, other.where(eb, t)])),
      }
}
