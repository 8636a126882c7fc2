import type { TableDef } from '../records/index.ts'
import { predefinedRoleByTemplate } from './predefined-roles.ts'
import {
  DEEP,
  GLOBAL,
  LOCAL,
  NONE,
  privilegeIdOf,
  privilegeName,
  type Depth,
  type Right,
} from './privileges.ts'
import type { RoleGrant, SecurityContext } from './security-context.ts'

/**
 * What a caller's roles allow on one table for one right, folded over all its grants
 * (docs/authz.md §4). A record is accessible when `global`, or its ownerid is in `owners`, or
 * its owningbusinessunit is in `localBusinessUnits` or in the subtree of one of
 * `deepBusinessUnits`, or it is shared (POA) with one of `sharePrincipals` for the right.
 */
export interface TablePrivilege {
  readonly global: boolean
  readonly owners: readonly string[]
  readonly localBusinessUnits: readonly string[]
  readonly deepBusinessUnits: readonly string[]
  readonly sharePrincipals: readonly string[]
  /**
   * Estimated fraction (0..1) of the business units whose records the Business Unit and
   * Parent: Child terms reach; undefined without tree statistics. Picks the SQL shape.
   */
  readonly breadth?: number
  /**
   * Hierarchy security (docs/authz.md §15): records owned by a user 1..depth levels below
   * `managerId` in the manager hierarchy; when `businessUnitId` is set, only reports whose
   * business unit is it or one of its child units.
   */
  readonly hierarchy?: HierarchyReach
}

/** See TablePrivilege.hierarchy. */
export interface HierarchyReach {
  readonly managerId: string
  readonly depth: number
  readonly businessUnitId?: string
}

/**
 * The rights a manager gets on its reports' records (dataverse-spec §3 Hierarchy security):
 * Read to the read depth; Write, Append and Append To to the write depth. Never Create, Delete,
 * Assign or Share.
 */
export function hierarchyReach(
  security: SecurityContext,
  table: TableDef,
  right: Right,
): HierarchyReach | undefined {
  const h = security.hierarchy
  if (h === undefined || table.ownership !== 'user' || h.excludedTables.includes(table.name)) {
    return undefined
  }
  const depth =
    right === 'Read'
      ? h.readDepth
      : right === 'Write' || right === 'Append' || right === 'AppendTo'
        ? Math.min(h.writeDepth, h.readDepth)
        : 0
  if (depth < 1) return undefined
  return {
    managerId: security.userId,
    depth,
    ...(h.sameOrParentBusinessUnit ? { businessUnitId: security.businessUnitId } : {}),
  }
}

/** The depth one grant gives for a privilege (template rule ∪ stored rows, capped). */
export function grantDepth(
  grant: RoleGrant,
  table: TableDef,
  right: Right,
  privilegeId: string,
): Depth {
  const template = predefinedRoleByTemplate(grant.templateId)
  let depth = Math.max(
    template?.depth(table, right) ?? NONE,
    grant.privileges.get(privilegeId) ?? NONE,
  ) as Depth
  if (grant.maxDepth !== undefined && depth > grant.maxDepth) depth = grant.maxDepth
  // Organization-owned tables have only None and Organization (dataverse-spec §3).
  if (depth !== NONE && table.ownership === 'organization') return GLOBAL
  return depth
}

/**
 * Folds the caller's grants for (table, right). Undefined when no grant holds the privilege at
 * any depth: the caller is missing prv<Right><table> (0x80040220, dataverse-spec §3 step 1).
 */
export function resolveTablePrivilege(
  security: SecurityContext,
  table: TableDef,
  right: Right,
): TablePrivilege | undefined {
  const privilegeId = privilegeIdOf(privilegeName(right, table.name))
  const teamIds = security.teams.map((t) => t.teamId)
  let held = false
  let global = false
  const owners = new Set<string>()
  const local = new Set<string>()
  const deep = new Set<string>()
  for (const grant of security.grants) {
    const depth = grantDepth(grant, table, right, privilegeId)
    if (depth === NONE) continue
    held = true
    if (depth === GLOBAL) {
      global = true
      continue
    }
    // Ownership by the anchor gives access at any depth (dataverse-spec §3 step 2): for the
    // user, records of the user or one of its teams; for a team, the team's own records.
    const anchor = grant.anchor
    const businessUnitId = anchor.kind === 'user' ? security.businessUnitId : anchor.businessUnitId
    if (anchor.kind === 'user') {
      owners.add(security.userId)
      for (const t of teamIds) owners.add(t)
    } else {
      owners.add(anchor.teamId)
    }
    if (depth === LOCAL) local.add(businessUnitId)
    if (depth === DEEP) deep.add(businessUnitId)
  }
  if (!held) return undefined
  // A business unit in the deep set is its own descendant (closure depth 0): no need twice.
  for (const bu of deep) local.delete(bu)
  const sharePrincipals = [security.userId, ...teamIds]
  if (security.organizationId !== undefined) sharePrincipals.push(security.organizationId)
  const sorted = (s: Set<string>) => [...s].sort()
  const stats = security.businessUnits
  let breadth: number | undefined
  if (stats !== undefined && stats.total > 0) {
    let units = local.size
    for (const bu of deep) units += stats.subtreeSize.get(bu) ?? stats.total
    breadth = Math.min(1, units / stats.total)
  }
  // The manager still needs the privilege itself, at any depth (dataverse-spec §3).
  const hierarchy = global ? undefined : hierarchyReach(security, table, right)
  return {
    ...(breadth === undefined || global ? {} : { breadth }),
    ...(hierarchy === undefined ? {} : { hierarchy }),
    global,
    owners: global ? [] : sorted(owners),
    localBusinessUnits: global ? [] : sorted(local),
    deepBusinessUnits: global ? [] : sorted(deep),
    sharePrincipals: [...new Set(sharePrincipals)].sort(),
  }
}
