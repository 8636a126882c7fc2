import type { Caller } from './caller.ts'
import type { RecordOperation, RecordScope, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'

export const SYSTEM_ADMINISTRATOR = 'System Administrator'
export const BASIC_USER = 'Basic User'

/** Dataverse privilege names per operation (dataverse-spec §3: prv<Operation><Entity>). */
const PRIVILEGE: Record<RecordOperation, string> = {
  create: 'Create',
  retrieve: 'Read',
  query: 'Read',
  update: 'Write',
  delete: 'Delete',
}

function privilegeDenied(caller: Caller, operation: RecordOperation, table: TableDef): AppError {
  // dataverse-spec §7: 0x80040220 "Principal user (Id=…) is missing prv… privilege".
  return new AppError(
    'FORBIDDEN',
    `Principal user (Id=${caller.systemUserId}) is missing prv${PRIVILEGE[operation]}${table.name} privilege.`,
  )
}

/**
 * The one decision of which rows of `table` a caller may touch for `operation`: undefined for
 * all rows, a RecordScope pushed into SQL for some, or FORBIDDEN for none. Every record path
 * (retrieve, query, $count, $expand, $batch, export) asks here.
 *
 * Until the security-model issue (#5) lands, two roles exist (issue #4):
 * - System Administrator: every operation on every row;
 * - Basic User: on user-owned tables, the rows it owns (create only as their owner); on
 *   organization-owned tables, read only.
 * Any other caller has no privileges.
 * @throws FORBIDDEN
 */
export function recordAccess(
  caller: Caller,
  table: TableDef,
  operation: RecordOperation,
): RecordScope | undefined {
  if (caller.roles.includes(SYSTEM_ADMINISTRATOR)) return undefined
  if (caller.roles.includes(BASIC_USER)) {
    if (table.ownership === 'organization') {
      if (operation === 'retrieve' || operation === 'query') return undefined
      throw privilegeDenied(caller, operation, table)
    }
    return {
      where: (eb) => eb(eb.ref(`${table.name}.ownerid`), '=', caller.systemUserId),
      // A row outside the scope is reported as not found: its existence is not revealed.
    }
  }
  throw privilegeDenied(caller, operation, table)
}
