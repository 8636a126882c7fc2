import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import type { Right } from './privileges.ts'
import { rightAccess } from './record-access.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

/** One business unit and its parent (undefined for the root). */
export interface UnitRow {
  readonly id: string
  readonly parentId?: string
  readonly name: string
}

/**
 * @throws AppError FORBIDDEN unless the caller holds prv<right>businessunit (an
 *   organization-owned table: any depth is Organization, dataverse-spec §3)
 */
export async function requireUnitPrivilege(
  deps: SharingDeps,
  caller: Caller,
  right: Right,
): Promise<void> {
  rightAccess(caller, await deps.records.getTable(deps.env, 'businessunit'), right)
}

/** Every business unit (the tree is small). */
export async function units(deps: SharingDeps): Promise<UnitRow[]> {
  const result = await deps.records.queryRecords(
    deps.env,
    'businessunit',
    { count: false, select: ['businessunitid', 'name', 'parentbusinessunitid'] },
    { limit: SECURITY_ROWS_LIMIT },
  )
  return result.records.map((r) => {
    const parent = r['parentbusinessunitid']
    return {
      id: String(r['businessunitid']),
      name: String(r['name']),
      ...(typeof parent === 'string' ? { parentId: parent } : {}),
    }
  })
}

/** @throws AppError RECORD_NOT_FOUND when no unit has the id */
export function unitOf(all: readonly UnitRow[], id: string): UnitRow {
  const unit = all.find((u) => u.id === id.toLowerCase())
  if (unit === undefined) throw new AppError('RECORD_NOT_FOUND', 'No businessunit has that id.')
  return unit
}

/** The message of a refused move, the same as the closure trigger's (the backstop). */
export const CYCLE_MESSAGE =
  "Column 'parentbusinessunitid': a business unit can't be moved under itself or one of its descendants."
