import type { Caller } from './caller.ts'
import type { RecordScope, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import { accessDenied, recordAccess, rightAccess } from './record-access.ts'
import type { Right } from './privileges.ts'

/** The owner column: changing it is Assign, not Append (dataverse-spec §3). */
export const OWNER_COLUMN = 'ownerid'

/**
 * The rights a create or update with `data` (column values) needs besides Create / Write
 * (dataverse-spec §3): Append when it sets a lookup to a record (the record gets something
 * attached), Assign when an update changes `ownerid`. Clearing a lookup needs only Write.
 */
export function changeRights(
  table: TableDef,
  data: Readonly<Record<string, unknown>>,
  operation: 'create' | 'update',
): Right[] {
  const rights: Right[] = []
  const lookups = new Set(table.columns.filter((c) => c.type === 'lookup').map((c) => c.name))
  const appends = Object.entries(data).some(
    ([name, value]) => name !== OWNER_COLUMN && lookups.has(name) && value !== null,
  )
  if (appends) rights.push('Append')
  if (operation === 'update' && Object.hasOwn(data, OWNER_COLUMN)) rights.push('Assign')
  return rights
}

/**
 * recordAccess for a create or update that also needs `extra` rights on the same record
 * (Append, Assign): the rows on which the caller holds every one of them, pushed into the same
 * statement, so the decision is per record and atomic with the write. A record the caller can
 * read but not change is 403 (the first right it lacks is named by the caller's pre-check,
 * see docs/authz.md §6); one it can't read stays 404.
 *
 * @throws AppError FORBIDDEN when the caller holds one of the privileges at no depth
 */
export function recordChangeAccess(
  caller: Caller,
  table: TableDef,
  operation: 'create' | 'update',
  extra: readonly Right[],
): RecordScope | undefined {
  const base = recordAccess(caller, table, operation)
  const scopes: RecordScope[] = base === undefined ? [] : [base]
  for (const right of extra) {
    const scope = rightAccess(caller, table, right)
    if (scope !== undefined) scopes.push(scope)
  }
  const first = scopes[0]
  if (first === undefined) return undefined
  if (scopes.length === 1 && first === base) return base
  const where: RecordScope['where'] = (eb, t) => eb.and(scopes.map((s) => s.where(eb, t)))
  if (operation === 'create') return { where }
  const readable = base?.readable ?? readScope(caller, table)?.where
  const lacking = base === undefined ? (extra[0] ?? 'Write') : 'Write'
  return {
    where,
    denied: (_op, t) => accessDenied(caller.systemUserId, lacking, t),
    ...(readable === undefined ? {} : { readable }),
  }
}

function readScope(caller: Caller, table: TableDef): RecordScope | undefined {
  try {
    return rightAccess(caller, table, 'Read')
  } catch (e) {
    // Without Read at any depth every record is 404: nothing readable.
    if (e instanceof AppError && e.code === 'FORBIDDEN') return { where: (eb) => eb.lit(false) }
    throw e
  }
}

/**
 * Creating a record owned by someone else is an Assign (dataverse-spec §3): the caller must
 * hold the Assign privilege on the table at some depth (the record is first its own).
 *
 * @throws AppError FORBIDDEN naming prvAssign<table>
 */
export function requireAssignOnCreate(
  caller: Caller,
  table: TableDef,
  data: Readonly<Record<string, unknown>>,
): void {
  const owner = data[OWNER_COLUMN]
  if (table.ownership !== 'user' || owner === undefined || owner === null) return
  if (typeof owner === 'string' && owner.toLowerCase() === caller.systemUserId.toLowerCase()) {
    return
  }
  rightAccess(caller, table, 'Assign')
}
