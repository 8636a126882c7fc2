import { predefinedRoleByTemplate } from './predefined-roles.ts'
import { BASIC, isDepth, type Depth } from './privileges.ts'
import { HIERARCHY_SETTING_COLUMNS } from './require-hierarchy-settings-privilege.ts'
import { ACCESS_TEAM, OFFICE_GROUP_TEAM, SECURITY_GROUP_TEAM } from './team-types.ts'
import type {
  BusinessUnitStats,
  GrantAnchor,
  HierarchySettings,
  RoleGrant,
  SecurityContext,
  TeamMembership,
} from './security-context.ts'

type Row = Readonly<Record<string, unknown>>

/**
 * Port: reads of the environment's security tables, as the system (no scope). `where` is an
 * AND over columns, each matching any of its values; no lists are empty.
 */
export interface SecurityRows {
  select(
    table: string,
    columns: readonly string[],
    where: Readonly<Record<string, readonly (string | number)[]>>,
  ): Promise<readonly Row[]>
}

/** A resolved context plus the names of the roles assigned to the user directly. */
export interface LoadedSecurity {
  readonly security: SecurityContext
  readonly roleNames: readonly string[]
}

const text = (v: unknown): string => String(v)

/**
 * Reads what the authorization decisions need about a user (docs/authz.md §4): its teams
 * (explicit teammembership rows plus the default team of its business unit, derived), the roles
 * assigned to it and to those teams, their templates, inheritance setting and stored
 * privileges. Roles that are not assignable (Support User) grant nothing through an
 * assignment: they are for service identities only (dataverse-spec §3 Predefined roles).
 */
export async function loadSecurityContext(
  rows: SecurityRows,
  user: {
    readonly systemUserId: string
    readonly businessUnitId: string
    /** Entra group object ids of the caller's token (lower-case): group team membership. */
    readonly groups?: readonly string[]
  },
): Promise<LoadedSecurity> {
  const userId = user.systemUserId
  const explicit = await rows.select('teammembership', ['teamid'], { systemuserid: [userId] })
  const defaults = await rows.select('team', ['teamid'], {
    businessunitid: [user.businessUnitId],
    isdefault: [1],
  })
  // Entra group teams (dataverse-spec §3 Teams): membership derived just in time from the
  // token's groups claim, never stored (docs/authz.md §16).
  const groups = user.groups ?? []
  const groupTeams =
    groups.length === 0
      ? []
      : await rows.select('team', ['teamid'], {
          azureactivedirectoryobjectid: groups,
          teamtype: [SECURITY_GROUP_TEAM, OFFICE_GROUP_TEAM],
        })
  const teamIds = [
    ...new Set([...explicit, ...defaults, ...groupTeams].map((r) => text(r['teamid']))),
  ]
  const teamRows =
    teamIds.length === 0
      ? []
      : await rows.select('team', ['teamid', 'businessunitid', 'teamtype'], { teamid: teamIds })
  const teams: TeamMembership[] = teamRows
    .map((t) => ({ teamId: text(t['teamid']), businessUnitId: text(t['businessunitid']) }))
    .sort((a, b) => a.teamId.localeCompare(b.teamId))
  // Access teams (teamtype 1) own nothing and hold no roles (dataverse-spec §3 Teams): they are
  // share principals only, so a role assigned to one anyway grants nothing.
  const roleTeams = new Set(
    teamRows.filter((t) => t['teamtype'] !== ACCESS_TEAM).map((t) => text(t['teamid'])),
  )
  const teamBu = new Map(
    teams.filter((t) => roleTeams.has(t.teamId)).map((t) => [t.teamId, t.businessUnitId]),
  )

  const assignments: { roleId: string; anchor: GrantAnchor }[] = []
  for (const r of await rows.select('systemuserroles', ['roleid'], { systemuserid: [userId] })) {
    assignments.push({ roleId: text(r['roleid']), anchor: { kind: 'user' } })
  }
  if (teams.length > 0) {
    const teamRoles = await rows.select('teamroles', ['teamid', 'roleid'], {
      teamid: teams.map((t) => t.teamId),
    })
    for (const r of teamRoles) {
      const teamId = text(r['teamid'])
      const businessUnitId = teamBu.get(teamId)
      if (businessUnitId === undefined) continue
      assignments.push({
        roleId: text(r['roleid']),
        anchor: { kind: 'team', teamId, businessUnitId },
      })
    }
  }
  const { grants, roles } = await grantsOf(rows, assignments)

  const businessUnits = subtreeSizes(
    await rows.select('businessunit', ['businessunitid', 'parentbusinessunitid'], {}),
    [user.businessUnitId, ...teams.map((t) => t.businessUnitId)],
  )
  const org = await rows.select(
    'organization',
    ['organizationid', ...HIERARCHY_SETTING_COLUMNS],
    {},
  )
  const organizationId = org[0] === undefined ? undefined : text(org[0]['organizationid'])
  // A user without direct reports gets no hierarchy term at all, so its SQL doesn't change when
  // hierarchy security is on. Its first report (a systemuser write) bumps the security version.
  let hierarchy = org[0] === undefined ? undefined : hierarchySettingsOf(org[0])
  if (
    hierarchy !== undefined &&
    (await rows.select('systemuser', ['systemuserid'], { parentsystemuserid: [userId] })).length ===
      0
  ) {
    hierarchy = undefined
  }
  const roleNames = assignments
    .filter((a) => a.anchor.kind === 'user')
    .map((a) => roles.get(a.roleId)?.['name'])
    .filter((n): n is string => typeof n === 'string')
  return {
    security: {
      userId,
      businessUnitId: user.businessUnitId,
      ...(organizationId === undefined ? {} : { organizationId }),
      teams,
      grants,
      businessUnits,
      ...(hierarchy === undefined ? {} : { hierarchy }),
    },
    roleNames: [...new Set(roleNames)].sort(),
  }
}

/** Defaults of the hierarchy settings a null column stands for (docs/authz.md §15). */
const DEFAULT_READ_DEPTH = 3
const DEFAULT_WRITE_LEVELS = 1

/**
 * The hierarchy settings of the organization row, or undefined while hierarchy security is
 * off (the default). The excluded tables are a comma-separated list of logical names.
 */
export function hierarchySettingsOf(org: Row): HierarchySettings | undefined {
  if (org['enablehierarchicalsecuritymodel'] !== true) return undefined
  const level = (v: unknown, fallback: number): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback
  const readDepth = level(org['maxdepthforhierarchicalsecuritymodel'], DEFAULT_READ_DEPTH)
  const writeLevels = level(org['hierarchylevelforhierarchyfeature'], DEFAULT_WRITE_LEVELS)
  const excluded = org['hierarchysecurityexcludedtables']
  return {
    readDepth,
    writeDepth: Math.min(writeLevels, readDepth),
    sameOrParentBusinessUnit: org['managersmustbeinsameorparentbusinessunitasreports'] !== false,
    excludedTables:
      typeof excluded === 'string'
        ? [...new Set(excluded.split(',').map((n) => n.trim()))].filter((n) => n !== '').sort()
        : [],
  }
}

/**
 * The grants of role assignments: each role's template and stored privileges, member's
 * privilege inheritance for team anchors; roles that are not assignable grant nothing.
 */
export async function grantsOf(
  rows: SecurityRows,
  assignments: readonly { readonly roleId: string; readonly anchor: GrantAnchor }[],
): Promise<{ grants: RoleGrant[]; roles: Map<string, Row> }> {
  const roleIds = [...new Set(assignments.map((a) => a.roleId))]
  const roles = new Map<string, Row>()
  const privileges = new Map<string, Map<string, Depth>>()
  if (roleIds.length > 0) {
    for (const r of await rows.select('role', ['roleid', 'name', 'roletemplateid', 'isinherited'], {
      roleid: roleIds,
    })) {
      roles.set(text(r['roleid']), r)
    }
    const stored = await rows.select(
      'roleprivileges',
      ['roleid', 'privilegeid', 'privilegedepthmask'],
      {
        roleid: roleIds,
      },
    )
    for (const p of stored) {
      const depth = p['privilegedepthmask']
      if (!isDepth(depth)) continue
      const roleId = text(p['roleid'])
      const map = privileges.get(roleId) ?? new Map<string, Depth>()
      const privilegeId = text(p['privilegeid'])
      map.set(privilegeId, Math.max(depth, map.get(privilegeId) ?? 0) as Depth)
      privileges.set(roleId, map)
    }
  }

  const grants: RoleGrant[] = []
  for (const { roleId, anchor } of assignments) {
    const role = roles.get(roleId)
    if (role === undefined) continue
    const templateValue = role['roletemplateid']
    const templateId = typeof templateValue === 'string' ? templateValue : undefined
    const template = predefinedRoleByTemplate(templateId)
    if (template !== undefined && !template.assignable) continue
    const grant: RoleGrant = {
      roleId,
      ...(templateId === undefined ? {} : { templateId }),
      privileges: privileges.get(roleId) ?? new Map<string, Depth>(),
      anchor,
    }
    grants.push(grant)
    // Member's privilege inheritance (dataverse-spec §3): the team role also reaches the member
    // directly, at Basic only. Not settable on System Administrator.
    if (
      anchor.kind === 'team' &&
      role['isinherited'] === 1 &&
      template?.name !== 'System Administrator'
    ) {
      grants.push({ ...grant, anchor: { kind: 'user' }, maxDepth: BASIC })
    }
  }

  return { grants, roles }
}

/** The tree size and the subtree sizes of `anchors`, from (id, parent) rows. */
function subtreeSizes(units: readonly Row[], anchors: readonly string[]): BusinessUnitStats {
  const children = new Map<string, string[]>()
  for (const u of units) {
    const parent = u['parentbusinessunitid']
    if (typeof parent !== 'string') continue
    const list = children.get(parent) ?? []
    list.push(text(u['businessunitid']))
    children.set(parent, list)
  }
  const subtreeSize = new Map<string, number>()
  for (const anchor of new Set(anchors)) {
    let size = 0
    const stack = [anchor]
    const seen = new Set<string>()
    for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
      if (seen.has(at)) continue
      seen.add(at)
      size += 1
      stack.push(...(children.get(at) ?? []))
    }
    subtreeSize.set(anchor, size)
  }
  return { total: units.length, subtreeSize }
}
