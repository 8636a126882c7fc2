import { randomUUID } from 'node:crypto'
import { compileKeysetAfter, compileOrderBy, type OrderByItem } from '../query/index.ts'
import type { RecordOperations, RecordScope, TableDef } from '../records/index.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import { AppError } from '../shared/errors.ts'
import { buildRecordScope, type ScopeForm } from './build-record-scope.ts'
import { checkRecordAccess, type SecurityFacts } from './check-record-access.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { securityRowsOf } from './security-rows.ts'
import {
  ACCESS_RIGHT_MASK,
  BASIC,
  DEEP,
  GLOBAL,
  LOCAL,
  NONE,
  privilegeIdOf,
  privilegeName,
  type Depth,
} from './privileges.ts'
import { recordAccess } from './record-access.ts'
import { ACCESS_TEAM, OWNER_TEAM, SECURITY_GROUP_TEAM } from './team-types.ts'
import { resolveTablePrivilege } from './table-privilege.ts'

/**
 * A security world written as data (SpiceDB-style consistency tests, docs/authz.md §9). Names
 * are symbolic; `root` is the provisioned root business unit, `rootteam` its default team and
 * `org` the organization (as a share principal). Records are accounts.
 */
export interface World {
  readonly businessUnits: readonly { readonly name: string; readonly parent: string }[]
  readonly users: readonly {
    readonly name: string
    readonly bu: string
    /** Group teams (by name) whose Entra group the user's token lists (docs/authz.md §14). */
    readonly groups?: readonly string[]
  }[]
  readonly teams: readonly {
    readonly name: string
    readonly bu: string
    /** Stored members (owner and access teams; a group team's come from `users[].groups`). */
    readonly members: readonly string[]
    readonly isDefault?: boolean
    /** owner (default; teamtype 0), access (1: no roles, owns nothing), group (2). */
    readonly kind?: 'owner' | 'access' | 'group'
  }[]
  readonly roles: readonly {
    readonly name: string
    readonly read: Depth
    readonly write: Depth
    readonly inherited?: boolean
  }[]
  readonly userRoles: readonly (readonly [user: string, role: string])[]
  readonly teamRoles: readonly (readonly [team: string, role: string])[]
  readonly records: readonly { readonly name: string; readonly owner: string }[]
  readonly shares: readonly {
    readonly record: string
    readonly principal: string
    readonly mask: number
  }[]
}

export type CheckedRight = 'Read' | 'Write'
/** Per user and right: the names of the records it may access (sorted), or 'forbidden'. */
export type Outcomes = Record<string, Record<CheckedRight, readonly string[] | 'forbidden'>>

/** The ids a loaded world got, by symbolic name. */
export interface LoadedWorld {
  readonly id: ReadonlyMap<string, string>
  readonly name: ReadonlyMap<string, string>
}

interface Env {
  readonly records: RecordOperations & {
    transaction<T>(env: EnvironmentId, fn: (tx: RecordOperations) => Promise<T>): Promise<T>
  }
  readonly env: EnvironmentId
  readonly ids: {
    readonly businessUnitId: string
    readonly defaultTeamId: string
    readonly organizationId: string
    readonly systemUserId: string
  }
}

/** Writes a world into a provisioned environment, in one transaction, through the records layer. */
export async function loadWorld(e: Env, world: World): Promise<LoadedWorld> {
  const id = new Map<string, string>([
    ['root', e.ids.businessUnitId],
    ['rootteam', e.ids.defaultTeamId],
    ['org', e.ids.organizationId],
  ])
  const get = (n: string): string => {
    const v = id.get(n)
    if (v === undefined) throw new Error(`world: unknown name ${n}`)
    return v
  }
  const actor = { actorId: e.ids.systemUserId }
  await e.records.transaction(e.env, async (tx) => {
    const create = (table: string, data: Record<string, unknown>) =>
      tx.createRecord(e.env, table, data, actor)
    for (const bu of world.businessUnits) {
      id.set(
        bu.name,
        await create('businessunit', { name: bu.name, parentbusinessunitid: get(bu.parent) }),
      )
    }
    for (const u of world.users) {
      id.set(u.name, await create('systemuser', { fullname: u.name, businessunitid: get(u.bu) }))
    }
    for (const t of world.teams) {
      const kind = t.kind ?? 'owner'
      const group = kind === 'group' ? randomUUID() : undefined
      if (group !== undefined) id.set(groupKey(t.name), group)
      id.set(
        t.name,
        await create('team', {
          name: t.name,
          teamtype: TEAM_TYPE[kind],
          businessunitid: get(t.bu),
          isdefault: kind === 'owner' && t.isDefault === true,
          ...(group === undefined ? {} : { azureactivedirectoryobjectid: group }),
        }),
      )
      if (kind === 'group') continue
      for (const m of t.members) {
        await create('teammembership', { systemuserid: get(m), teamid: get(t.name) })
      }
    }
    for (const r of world.roles) {
      const roleId = await create('role', {
        name: r.name,
        businessunitid: get('root'),
        isinherited: r.inherited === true ? 1 : 0,
      })
      id.set(r.name, roleId)
      for (const [right, depth] of [
        ['Read', r.read],
        ['Write', r.write],
      ] as const) {
        if (depth === NONE) continue
        await create('roleprivileges', {
          roleid: roleId,
          privilegeid: privilegeIdOf(privilegeName(right, 'account')),
          privilegedepthmask: depth,
        })
      }
    }
    for (const [u, r] of world.userRoles) {
      await create('systemuserroles', { systemuserid: get(u), roleid: get(r) })
    }
    for (const [t, r] of world.teamRoles) {
      await create('teamroles', { teamid: get(t), roleid: get(r) })
    }
    for (const rec of world.records) {
      id.set(rec.name, await create('account', { name: rec.name, ownerid: get(rec.owner) }))
    }
    for (const s of world.shares) {
      await create('principalobjectaccess', {
        objectid: get(s.record),
        objecttypecode: 'account',
        principalid: get(s.principal),
        principaltypecode: s.principal === 'org' ? 'organization' : 'systemuser',
        accessrightsmask: s.mask,
        inheritedaccessrightsmask: 0,
      })
    }
  })
  return { id, name: new Map([...id].map(([k, v]) => [v, k])) }
}

const OPERATION = { Read: 'query', Write: 'update' } as const
const TEAM_TYPE = { owner: OWNER_TEAM, access: ACCESS_TEAM, group: SECURITY_GROUP_TEAM } as const
/** Where loadWorld keeps a group team's Entra object id. */
const groupKey = (team: string) => `${team}#group`

/**
 * The records each user of the world may access, three ways: through the SQL scope (a query
 * with recordAccess's predicate, and its count), through checkRecordAccess per record, and by
 * the brute-force oracle. Returns all three for the caller to compare.
 */
export async function observe(
  e: Env,
  world: World,
  loaded: LoadedWorld,
  account: TableDef,
): Promise<{
  sql: Outcomes
  perRecord: Outcomes
  oracle: Outcomes
  counts: Outcomes
  narrow: Outcomes
  broad: Outcomes
  /** Each form paged through two rows at a time (keyset, ordered by name desc). */
  pagedNarrow: Outcomes
  pagedBroad: Outcomes
}> {
  const sqlOut: Outcomes = {}
  const perRecordOut: Outcomes = {}
  const oracleOut: Outcomes = {}
  const countsOut: Outcomes = {}
  const formsOut: Record<ScopeForm, Outcomes> = { narrow: {}, broad: {} }
  const pagedOut: Record<ScopeForm, Outcomes> = { narrow: {}, broad: {} }
  const rows = await e.records.queryRecords(
    e.env,
    'account',
    { count: false, select: ['accountid', 'ownerid', 'owningbusinessunit'] },
    { limit: 100_000 },
  )
  const facts = worldFacts(world, loaded)
  const nameOf = (v: unknown) => loaded.name.get(String(v)) ?? String(v)
  for (const user of world.users) {
    const userId = loaded.id.get(user.name) ?? ''
    const businessUnitId = loaded.id.get(user.bu) ?? ''
    // The token's groups: object ids of the group teams the world lists for the user.
    const groups = (user.groups ?? []).flatMap((t) => {
      const g = loaded.id.get(groupKey(t))
      return g === undefined ? [] : [g]
    })
    const { security } = await loadSecurityContext(securityRowsOf(e.records, e.env), {
      systemUserId: userId,
      businessUnitId,
      groups,
    })
    const caller = { systemUserId: userId, businessUnitId, roles: [], security }
    for (const out of [
      sqlOut,
      perRecordOut,
      oracleOut,
      countsOut,
      formsOut.narrow,
      formsOut.broad,
      pagedOut.narrow,
      pagedOut.broad,
    ]) {
      out[user.name] = { Read: [], Write: [] }
    }
    for (const right of ['Read', 'Write'] as const) {
      let scope
      let forbidden = false
      try {
        scope = recordAccess(caller, account, OPERATION[right])
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'FORBIDDEN')) throw err
        forbidden = true
      }
      const set = (o: Outcomes, v: readonly string[] | 'forbidden') => {
        ;(o[user.name] as Record<CheckedRight, readonly string[] | 'forbidden'>)[right] = v
      }
      if (forbidden) {
        for (const o of [
          sqlOut,
          countsOut,
          formsOut.narrow,
          formsOut.broad,
          pagedOut.narrow,
          pagedOut.broad,
        ]) {
          set(o, 'forbidden')
        }
      } else {
        // Each SQL shape on its own, whichever recordAccess would pick for this caller.
        const privilege = resolveTablePrivilege(security, account, right)
        for (const form of ['narrow', 'broad'] as const) {
          const s = privilege && buildRecordScope(privilege, account, right, form)
          const r = await e.records.queryRecords(
            e.env,
            'account',
            { count: false, select: ['accountid'] },
            { ...(s === undefined ? {} : { scope: s }), limit: 100_000 },
          )
          set(formsOut[form], r.records.map((x) => nameOf(x['accountid'])).sort())
          set(pagedOut[form], (await pageThrough(e, account, s)).map(nameOf).sort())
        }
        const scoped = await e.records.queryRecords(
          e.env,
          'account',
          { count: false, select: ['accountid'] },
          { ...(scope === undefined ? {} : { scope }), limit: 100_000 },
        )
        set(sqlOut, scoped.records.map((r) => nameOf(r['accountid'])).sort())
        const n = await e.records.countRecords(
          e.env,
          'account',
          { count: true },
          scope === undefined ? {} : { scope },
        )
        // Counts are compared as "the first n names of the SQL list": equal iff n matches.
        set(
          countsOut,
          scoped.records
            .map((r) => nameOf(r['accountid']))
            .sort()
            .slice(0, n),
        )
      }
      const hasPrivilege = oracleHasPrivilege(world, user.name, right)
      const perRecord = rows.records
        .filter((r) =>
          checkRecordAccess(
            security,
            account,
            right,
            {
              id: String(r['accountid']),
              ownerId: String(r['ownerid']),
              owningBusinessUnitId: String(r['owningbusinessunit']),
            },
            facts,
          ),
        )
        .map((r) => nameOf(r['accountid']))
        .sort()
      set(
        perRecordOut,
        resolveTablePrivilege(security, account, right) === undefined ? 'forbidden' : perRecord,
      )
      set(
        oracleOut,
        hasPrivilege
          ? world.records
              .filter((rec) => oracleAllows(world, user.name, right, rec.name))
              .map((rec) => rec.name)
              .sort()
          : 'forbidden',
      )
    }
  }
  return {
    sql: sqlOut,
    perRecord: perRecordOut,
    oracle: oracleOut,
    counts: countsOut,
    narrow: formsOut.narrow,
    broad: formsOut.broad,
    pagedNarrow: pagedOut.narrow,
    pagedBroad: pagedOut.broad,
  }
}

/**
 * The ids of the rows of `scope`, read two at a time ordered by name descending with keyset
 * paging (as the Web API's skip token does): a scope with branches runs one ordered, limited
 * select per branch (docs/authz.md §5), which this checks page by page.
 */
async function pageThrough(
  e: Env,
  account: TableDef,
  scope: RecordScope | undefined,
): Promise<string[]> {
  const orderBy: OrderByItem[] = [{ column: 'name', direction: 'desc' }]
  const terms = compileOrderBy(orderBy, account)
  const ids: string[] = []
  let last: Readonly<Record<string, unknown>> | undefined
  for (;;) {
    const page = await e.records.queryRecords(
      e.env,
      'account',
      { count: false, select: ['accountid'], orderBy, top: 2 },
      {
        ...(scope === undefined ? {} : { scope }),
        ...(last === undefined
          ? {}
          : {
              where: compileKeysetAfter(
                terms,
                terms.map((t) => last?.[t.column]),
              ),
            }),
      },
    )
    ids.push(...page.records.map((r) => String(r['accountid'])))
    if (page.lastRow === undefined || page.records.length < 2) return ids
    last = page.lastRow
  }
}

/** SecurityFacts read from the world itself (parent pointers, share list). */
function worldFacts(world: World, loaded: LoadedWorld): SecurityFacts {
  const nameOf = (id: string) => loaded.name.get(id) ?? id
  return {
    isInSubtree: (bu, ancestor) => isInSubtree(world, nameOf(bu), nameOf(ancestor)),
    shareMask: (_table, recordId, principalId) =>
      world.shares
        .filter((s) => s.record === nameOf(recordId) && s.principal === nameOf(principalId))
        .reduce((m, s) => m | s.mask, 0),
  }
}

// ---- The brute-force oracle, written from dataverse-spec §3 directly (not from the
// ---- TablePrivilege fold): every grant is checked against the record on its own.

function isInSubtree(world: World, bu: string, ancestor: string): boolean {
  let at: string | undefined = bu
  for (let i = 0; at !== undefined && i < 1000; i++) {
    if (at === ancestor) return true
    const current: string = at
    at = world.businessUnits.find((b) => b.name === current)?.parent
  }
  return false
}

function teamsOf(world: World, user: string): string[] {
  const u = world.users.find((x) => x.name === user)
  const bu = u?.bu
  const teams = world.teams
    .filter((t) =>
      (t.kind ?? 'owner') === 'group'
        ? (u?.groups ?? []).includes(t.name)
        : t.members.includes(user) ||
          ((t.kind ?? 'owner') === 'owner' && t.isDefault === true && t.bu === bu),
    )
    .map((t) => t.name)
  if (bu === 'root') teams.push('rootteam')
  return teams
}

const buOfTeam = (world: World, team: string): string =>
  team === 'rootteam' ? 'root' : (world.teams.find((t) => t.name === team)?.bu ?? '')

interface OracleGrant {
  readonly depth: Depth
  readonly anchor: string // user name or team name
  readonly anchorIsTeam: boolean
}

function oracleGrants(world: World, user: string, right: CheckedRight): OracleGrant[] {
  const depthOf = (roleName: string): Depth => {
    const role = world.roles.find((r) => r.name === roleName)
    if (role === undefined) return NONE
    return right === 'Read' ? role.read : role.write
  }
  const grants: OracleGrant[] = []
  for (const [u, r] of world.userRoles) {
    if (u === user) grants.push({ depth: depthOf(r), anchor: user, anchorIsTeam: false })
  }
  for (const team of teamsOf(world, user)) {
    // Access teams hold no roles (spec §3 Teams): a stored assignment grants nothing.
    if (world.teams.find((t) => t.name === team)?.kind === 'access') continue
    for (const [t, r] of world.teamRoles) {
      if (t !== team) continue
      grants.push({ depth: depthOf(r), anchor: team, anchorIsTeam: true })
      const role = world.roles.find((x) => x.name === r)
      if (role?.inherited === true) {
        grants.push({
          depth: Math.min(depthOf(r), BASIC) as Depth,
          anchor: user,
          anchorIsTeam: false,
        })
      }
    }
  }
  return grants.filter((g) => g.depth !== NONE)
}

function oracleHasPrivilege(world: World, user: string, right: CheckedRight): boolean {
  return oracleGrants(world, user, right).length > 0
}

function oracleAllows(world: World, user: string, right: CheckedRight, record: string): boolean {
  const grants = oracleGrants(world, user, right)
  if (grants.length === 0) return false
  const rec = world.records.find((r) => r.name === record)
  if (rec === undefined) return false
  const userBu = world.users.find((u) => u.name === user)?.bu ?? ''
  const buOfPrincipal = (p: string) =>
    world.users.find((u) => u.name === p)?.bu ?? buOfTeam(world, p)
  const recordBu = buOfPrincipal(rec.owner)
  const teams = teamsOf(world, user)
  for (const g of grants) {
    if (g.depth === GLOBAL) return true
    const owners = g.anchorIsTeam ? [g.anchor] : [user, ...teams]
    if (owners.includes(rec.owner)) return true
    const anchorBu = g.anchorIsTeam ? buOfTeam(world, g.anchor) : userBu
    if (g.depth === LOCAL && recordBu === anchorBu) return true
    if (g.depth === DEEP && isInSubtree(world, recordBu, anchorBu)) return true
  }
  const principals = new Set([user, ...teams, 'org'])
  return world.shares.some(
    (s) =>
      s.record === record &&
      principals.has(s.principal) &&
      (s.mask & ACCESS_RIGHT_MASK[right]) !== 0,
  )
}
