import type { RecordOperations, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import type { Caller } from './caller.ts'
import { ACCESS_RIGHT_MASK, ALL_ACCESS_RIGHTS, RIGHTS, type Right } from './privileges.ts'
import { recordAccess, rightAccess } from './record-access.ts'

/** What the sharing operations work with: the records of one environment (service or unit of work). */
export interface SharingDeps {
  readonly records: RecordOperations
  readonly env: EnvironmentId
}

/** The kinds of principal a record is shared with (PrincipalObjectAccess.principaltypecode). */
export type PrincipalType = 'systemuser' | 'team' | 'organization'

/** Dataverse's PrincipalAccess: a principal and an AccessRights mask (dataverse-spec §3). */
export interface PrincipalAccess {
  readonly principalId: string
  readonly principalType: PrincipalType
  readonly accessMask: number
}

/** A user-owned table; shares of organization-owned records mean nothing. @throws VALIDATION */
export async function shareableTable(deps: SharingDeps, name: string): Promise<TableDef> {
  const table = await deps.records.getTable(deps.env, name)
  if (table.ownership !== 'user') {
    throw new AppError(
      'VALIDATION',
      `Records of ${table.name} can't be shared: the table is organization-owned.`,
      {
        details: [{ path: 'Target', message: 'expected a record of a user- or team-owned table' }],
      },
    )
  }
  return table
}

/** The rights of an AccessRights mask. @throws VALIDATION for 0 or unknown flags */
export function rightsOfMask(mask: number): Right[] {
  if (!Number.isInteger(mask) || mask <= 0 || (mask & ~ALL_ACCESS_RIGHTS) !== 0) {
    throw new AppError('VALIDATION', 'The access mask must combine AccessRights flags.', {
      details: [{ path: 'AccessMask', message: 'expected a non-zero combination of AccessRights' }],
    })
  }
  return RIGHTS.filter((r) => (mask & ACCESS_RIGHT_MASK[r]) !== 0)
}

/** Whether the record is inside the caller's scope for `right` (FORBIDDEN when no privilege). */
async function holds(
  deps: SharingDeps,
  caller: Caller,
  table: TableDef,
  recordId: string,
  right: Right,
): Promise<boolean> {
  const scope = rightAccess(caller, table, right)
  if (scope === undefined) return true
  try {
    await deps.records.retrieveRecord(deps.env, table.name, recordId, {
      select: [table.primaryIdColumn],
      scope,
    })
    return true
  } catch (e) {
    if (e instanceof AppError && e.code === 'RECORD_NOT_FOUND') return false
    throw e
  }
}

/**
 * Requires the caller to see the record (else RECORD_NOT_FOUND, revealing nothing) and to hold
 * each of `rights` on it (else 0x80048306, dataverse-spec §3 step 2).
 *
 * @throws AppError RECORD_NOT_FOUND, FORBIDDEN, RECORD_ACCESS_DENIED, VALIDATION (id)
 */
export async function requireRights(
  deps: SharingDeps,
  caller: Caller,
  table: TableDef,
  recordId: string,
  rights: readonly Right[],
): Promise<void> {
  const read = recordAccess(caller, table, 'retrieve')
  await deps.records.retrieveRecord(deps.env, table.name, recordId, {
    select: [table.primaryIdColumn],
    ...(read === undefined ? {} : { scope: read }),
  })
  for (const right of rights) {
    if (!(await holds(deps, caller, table, recordId, right))) {
      throw new AppError(
        'RECORD_ACCESS_DENIED',
        `Principal user (Id=${caller.systemUserId}) does not have ${right}Access right(s) for record (Id=${recordId}) of table ${table.name}.`,
      )
    }
  }
}

/** The mask of every right `caller` holds on the record (RetrievePrincipalAccess). */
export async function accessMaskOf(
  deps: SharingDeps,
  caller: Caller,
  table: TableDef,
  recordId: string,
): Promise<number> {
  let mask = 0
  for (const right of RIGHTS) {
    let held
    try {
      held = await holds(deps, caller, table, recordId, right)
    } catch (e) {
      if (e instanceof AppError && e.code === 'FORBIDDEN') continue
      throw e
    }
    if (held) mask |= ACCESS_RIGHT_MASK[right]
  }
  return mask
}

/** The principal must exist. @throws AppError VALIDATION */
export async function requirePrincipal(deps: SharingDeps, access: PrincipalAccess): Promise<void> {
  try {
    await deps.records.retrieveRecord(deps.env, access.principalType, access.principalId, {
      select: [`${access.principalType}id`],
    })
  } catch (e) {
    if (e instanceof AppError && (e.code === 'RECORD_NOT_FOUND' || e.code === 'VALIDATION')) {
      throw new AppError('VALIDATION', `No ${access.principalType} has that id.`, {
        details: [
          { path: 'Principal', message: 'expected an existing user, team or organization' },
        ],
      })
    }
    throw e
  }
}

/** A share row of the record, as stored. */
export interface ShareRow {
  readonly id: string
  readonly principalId: string
  readonly principalType: string
  readonly accessMask: number
  readonly inheritedAccessMask: number
}

/** The POA rows of a record (all principals, or one). */
export async function sharesOf(
  deps: SharingDeps,
  table: TableDef,
  recordId: string,
  principalId?: string,
): Promise<ShareRow[]> {
  const rows = await deps.records.queryRecords(
    deps.env,
    'principalobjectaccess',
    {
      count: false,
      select: ['principalid', 'principaltypecode', 'accessrightsmask', 'inheritedaccessrightsmask'],
    },
    {
      where: (eb) =>
        eb.and([
          eb(eb.ref('objectid'), '=', recordId.toLowerCase()),
          eb(eb.ref('objecttypecode'), '=', table.name),
          ...(principalId === undefined
            ? []
            : [eb(eb.ref('principalid'), '=', principalId.toLowerCase())]),
        ]),
      limit: 100_000,
    },
  )
  return rows.records.map((r) => ({
    id: String(r['principalobjectaccessid']),
    principalId: String(r['principalid']),
    principalType: String(r['principaltypecode']),
    accessMask: Number(r['accessrightsmask'] ?? 0),
    inheritedAccessMask: Number(r['inheritedaccessrightsmask'] ?? 0),
  }))
}
