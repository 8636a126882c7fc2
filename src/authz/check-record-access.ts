import type { TableDef } from '../records/index.ts'
import type { Caller } from './caller.ts'
import { ACCESS_RIGHT_MASK, type Right } from './privileges.ts'
import type { SecurityContext } from './security-context.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'
import { resolveTablePrivilege, type HierarchyReach } from './table-privilege.ts'

/** What the decision reads of one record of a user-owned table. */
export interface RecordFacts {
  readonly id: string
  readonly ownerId: string
  readonly owningBusinessUnitId: string
}

/** Port: the facts about the world the per-record decision needs. */
export interface SecurityFacts {
  /** Whether `businessUnitId` is `ancestorId` or one of its descendants. */
  isInSubtree(businessUnitId: string, ancestorId: string): boolean
  /** The union of the access masks (direct | inherited) shared on the record with `principalId`. */
  shareMask(tableName: string, recordId: string, principalId: string): number
  /** How many levels below `managerId` user `userId` is in the manager hierarchy, if at all. */
  reportDepth(managerId: string, userId: string): number | undefined
  /** A user's business unit (undefined for anything that isn't a user). */
  businessUnitOfUser(userId: string): string | undefined
  /** A business unit's parent unit (undefined for the root). */
  parentBusinessUnit(businessUnitId: string): string | undefined
}

/**
 * The per-record counterpart of buildRecordScope (dataverse-spec §3 authorization algorithm):
 * privilege check, then ownership, business unit depth, shares, the manager hierarchy. The
 * consistency suite asserts it agrees with the SQL predicate on every record.
 */
export function checkRecordAccess(
  security: SecurityContext,
  table: TableDef,
  right: Right,
  record: RecordFacts | undefined,
  facts: SecurityFacts,
): boolean {
  const privilege = resolveTablePrivilege(security, table, right)
  if (privilege === undefined) return false
  if (privilege.global || table.ownership === 'organization' || record === undefined) return true
  if (privilege.owners.includes(record.ownerId)) return true
  if (privilege.localBusinessUnits.includes(record.owningBusinessUnitId)) return true
  if (privilege.deepBusinessUnits.some((bu) => facts.isInSubtree(record.owningBusinessUnitId, bu)))
    return true
  const mask = ACCESS_RIGHT_MASK[right]
  if (
    privilege.sharePrincipals.some((p) => (facts.shareMask(table.name, record.id, p) & mask) !== 0)
  )
    return true
  return isWithinHierarchy(privilege.hierarchy, record.ownerId, facts)
}

/** Whether a record owned by `ownerId` is reached through the manager hierarchy. */
function isWithinHierarchy(
  reach: HierarchyReach | undefined,
  ownerId: string,
  facts: SecurityFacts,
): boolean {
  if (reach === undefined) return false
  const depth = facts.reportDepth(reach.managerId, ownerId)
  if (depth === undefined || depth < 1 || depth > reach.depth) return false
  if (reach.businessUnitId === undefined) return true
  const unit = facts.businessUnitOfUser(ownerId)
  if (unit === undefined) return false
  return unit === reach.businessUnitId || facts.parentBusinessUnit(unit) === reach.businessUnitId
}

/**
 * checkRecordAccess for a caller: when it impersonates, the real caller must pass too (the
 * intersection, docs/authz.md §8) — the per-record counterpart of rightAccess.
 */
export function checkCallerAccess(
  caller: Caller,
  table: TableDef,
  right: Right,
  record: RecordFacts | undefined,
  facts: SecurityFacts,
): boolean {
  const users = caller.impersonator === undefined ? [caller] : [caller, caller.impersonator]
  return users.every((u) =>
    checkRecordAccess(u.security ?? securityFromRoleNames(u), table, right, record, facts),
  )
}
