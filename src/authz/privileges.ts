import { createHash } from 'node:crypto'

/** The eight record rights (dataverse-spec §3 Privileges). */
export const RIGHTS = [
  'Create',
  'Read',
  'Write',
  'Delete',
  'Append',
  'AppendTo',
  'Assign',
  'Share',
] as const
export type Right = (typeof RIGHTS)[number]

/** Dataverse AccessRights flags (dataverse-spec §3), as stored in POA access masks. */
export const ACCESS_RIGHT_MASK: Readonly<Record<Right, number>> = {
  Read: 1,
  Write: 2,
  Append: 4,
  AppendTo: 16,
  Create: 32,
  Delete: 65536,
  Share: 262144,
  Assign: 524288,
}

/** Every AccessRights flag: a full share. */
export const ALL_ACCESS_RIGHTS = Object.values(ACCESS_RIGHT_MASK).reduce((a, b) => a | b, 0)

/**
 * Access depth as Dataverse's PrivilegeDepthMask (dataverse-spec §3): 0 None, 1 Basic (User),
 * 2 Local (Business Unit), 4 Deep (Parent: Child Business Units), 8 Global (Organization).
 * Numeric order is breadth order, so the wider of two depths is Math.max.
 */
export type Depth = 0 | 1 | 2 | 4 | 8
export const NONE: Depth = 0
export const BASIC: Depth = 1
export const LOCAL: Depth = 2
export const DEEP: Depth = 4
export const GLOBAL: Depth = 8

export const isDepth = (value: unknown): value is Depth =>
  value === 0 || value === 1 || value === 2 || value === 4 || value === 8

/** The task (miscellaneous) privileges Strongroom knows (docs/authz.md §3). */
export const TASK_PRIVILEGES = [
  'prvActOnBehalfOfAnotherUser',
  'prvReadAuditSummary',
  'prvReadRecordAuditHistory',
  'prvExportToExcel',
  'prvBypassCustomPlugins',
  'prvAssignRole',
  'prvChangeHierarchySecuritySettings',
] as const
export type TaskPrivilege = (typeof TASK_PRIVILEGES)[number]

/** The privilege name of a record right on a table: prv<Right><logical name>, e.g. prvReadaccount. */
export const privilegeName = (right: Right, tableName: string): string => `prv${right}${tableName}`

// A fixed namespace for name-based privilege and role-template ids (RFC 9562 §5.5, UUIDv5).
// Never change it: stored roleprivileges rows refer to ids derived from it.
const NAMESPACE = Buffer.from('0635bb54fb47451090585bfbe878eb0a', 'hex')

/**
 * A name-based UUID (v5) in Strongroom's namespace: the same name gives the same id in every
 * environment, as Dataverse's built-in privilege and role template ids are fixed.
 */
export function nameBasedId(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest()
  const b = hash.subarray(0, 16)
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50 // version 5 (RFC 9562 §5.5)
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80 // variant 10
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The id of a privilege (roleprivileges.privilegeid), derived from its name. */
export const privilegeIdOf = (name: string): string => nameBasedId(`privilege:${name}`)
