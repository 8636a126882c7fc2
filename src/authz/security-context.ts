import type { Depth } from './privileges.ts'

/** A team the user belongs to (explicitly, or the default team of its business unit). */
export interface TeamMembership {
  readonly teamId: string
  readonly businessUnitId: string
}

/**
 * Whom a role's privileges are exercised as (docs/authz.md §4): the user itself, or a team the
 * user is a member of — then Basic means "owned by the team" and Local/Deep are relative to the
 * team's business unit.
 */
export type GrantAnchor =
  | { readonly kind: 'user' }
  | { readonly kind: 'team'; readonly teamId: string; readonly businessUnitId: string }

/** One security role as it applies to the caller, through one assignment. */
export interface RoleGrant {
  readonly roleId: string
  /** A predefined role's template id (its privileges come from the template's rule). */
  readonly templateId?: string
  /** Stored roleprivileges rows of the role: privilege id → depth. */
  readonly privileges: ReadonlyMap<string, Depth>
  readonly anchor: GrantAnchor
  /**
   * The widest depth this grant may give (member's privilege inheritance: team roles reach a
   * member directly at Basic only, dataverse-spec §3). Absent: uncapped.
   */
  readonly maxDepth?: Depth
}

/**
 * Everything the authorization decisions need about a caller, resolved once per request (and
 * cached by change stamp). Pure data: the decisions built from it are deterministic.
 */
export interface SecurityContext {
  readonly userId: string
  readonly businessUnitId: string
  /** The organization id: shares to the organization (POA principal) reach every user. */
  readonly organizationId?: string
  readonly teams: readonly TeamMembership[]
  readonly grants: readonly RoleGrant[]
  /**
   * The size of the business unit tree and of the subtrees of the units the grants are anchored
   * at: lets the scope builder estimate how much of a table a caller reaches and pick the SQL
   * shape (docs/authz.md §5). Absent: the caller is assumed narrow.
   */
  readonly businessUnits?: BusinessUnitStats
  /**
   * Column security (docs/authz.md §12): what the caller's field security profiles (its own
   * and its teams') grant, by `<table>.<column>`. Absent or missing a column: nothing granted.
   */
  readonly fieldPermissions?: ReadonlyMap<string, FieldPermission>
  /**
   * The organization's hierarchy security settings (docs/authz.md §15), present only while
   * hierarchy security is enabled and the user has at least one direct report.
   */
  readonly hierarchy?: HierarchySettings
}

/** Hierarchy security (manager model), as the organization sets it (docs/authz.md §15). */
export interface HierarchySettings {
  /** How many levels below a manager its reports' records are readable (1 = direct reports). */
  readonly readDepth: number
  /** How many levels below a manager they are writable, appendable and append-to (≤ readDepth). */
  readonly writeDepth: number
  /** Count a report only if its business unit is the manager's or a child of it. */
  readonly sameOrParentBusinessUnit: boolean
  /** Logical names of the tables the hierarchy doesn't apply to. */
  readonly excludedTables: readonly string[]
}

/** The union of the field permissions of a caller's profiles on one secured column. */
export interface FieldPermission {
  readonly read: boolean
  readonly create: boolean
  readonly update: boolean
}

/** See SecurityContext.businessUnits. */
export interface BusinessUnitStats {
  readonly total: number
  /** Units in the subtree (itself included), by unit id, for the anchor units. */
  readonly subtreeSize: ReadonlyMap<string, number>
}
