import { randomUUID } from 'node:crypto'
import { compileKeysetAfter, compileOrderBy, type OrderByItem } from '../query/index.ts'
import type { AddColumnInput, RecordOperations, RecordScope, TableDef } from '../records/index.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import { AppError } from '../shared/errors.ts'
import { buildRecordScope, type ScopeForm } from './build-record-scope.ts'
import type { Caller } from './caller.ts'
import { checkCallerAccess, checkRecordAccess, type SecurityFacts } from './check-record-access.ts'
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
    /** The user's manager (systemuser.parentsystemuserid), another user of the world. */
    readonly manager?: string
    readonly disabled?: boolean
    /** Group teams (by name) whose Entra group the user's token lists (docs/authz.md §16). */
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
  /**
   * Accounts; `parent` links a record to an earlier one through a lookup whose Share rule
   * cascades (docs/authz.md §14): the record inherits the parent's and its ancestors' shares.
   */
  readonly records: readonly {
    readonly name: string
    readonly owner: string
    readonly parent?: string
  }[]
  readonly shares: readonly {
    readonly record: string
    readonly principal: string
    readonly mask: number
  }[]
  /** The organization's hierarchy security settings; absent: off (the default). */
  readonly hierarchy?: WorldHierarchy
}

/** Hierarchy security in a world (docs/authz.md §15). */
export interface WorldHierarchy {
  readonly enabled: boolean
  readonly depth: number
  readonly writeLevels: number
  readonly sameOrParentBusinessUnit: boolean
  /** Whether account is in the excluded tables. */
  readonly accountExcluded: boolean
}

/** The cascading lookup a world's `parent` links use. */
const PARENT_COLUMN = 'parentcascadeid'

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
    addColumn(env: EnvironmentId, table: string, input: AddColumnInput): Promise<unknown>
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
  if (world.records.some((r) => r.parent !== undefined)) {
    await e.records.addColumn(e.env, 'account', {
      name: PARENT_COLUMN,
      type: 'lookup',
      options: { targets: ['account'], cascadeShare: 'cascade' },
    })
  }
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
      id.set(
        u.name,
        await create('systemuser', {
          fullname: u.name,
          businessunitid: get(u.bu),
          isdisabled: u.disabled === true,
        }),
      )
    }
    // Managers after every user exists (a manager may come later in the list).
    for (const u of world.users) {
      if (u.manager === undefined) continue
      await tx.updateRecord(
        e.env,
        'systemuser',
        get(u.name),
        { parentsystemuserid: get(u.manager) },
        actor,
      )
    }
    if (world.hierarchy !== undefined) {
      await tx.updateRecord(
        e.env,
        'organization',
        get('org'),
        worldHierarchyValues(world.hierarchy),
        actor,
      )
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
      id.set(
        rec.name,
        await create('account', {
          name: rec.name,
          ownerid: get(rec.owner),
          ...(rec.parent === undefined ? {} : { [PARENT_COLUMN]: get(rec.parent) }),
        }),
      )
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

/** The organization columns of a world's hierarchy settings. */
export function worldHierarchyValues(h: WorldHierarchy): Record<string, unknown> {
  return {
    enablehierarchicalsecuritymodel: h.enabled,
    maxdepthforhierarchicalsecuritymodel: h.depth,
    hierarchylevelforhierarchyfeature: h.writeLevels,
    managersmustbeinsameorparentbusinessunitasreports: h.sameOrParentBusinessUnit,
    hierarchysecurityexcludedtables: h.accountExcluded ? 'contact,account' : 'contact',
  }
}

const OPERATION = { Read: 'query', Write: 'update' } as const

/** The Entra object ids a user's token lists: those of the group teams the world gives it. */
function tokenGroupsOf(user: World['users'][number], loaded: LoadedWorld): string[] {
  return (user.groups ?? []).flatMap((t) => {
    const g = loaded.id.get(groupKey(t))
    return g === undefined ? [] : [g]
  })
}
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
  /** $apply groupby((accountid)) over the scope: the readable ids as aggregate groups. */
  aggregated: Outcomes
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
  const aggregatedOut: Outcomes = {}
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
    const groups = tokenGroupsOf(user, loaded)
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
      aggregatedOut,
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
          aggregatedOut,
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
        const groups = await e.records.aggregateRecords(
          e.env,
          'account',
          { groupBy: [{ column: 'accountid', output: 'accountid' }], aggregates: [] },
          scope === undefined ? {} : { scope },
        )
        set(aggregatedOut, groups.map((g) => nameOf(g['accountid'])).sort())
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
    aggregated: aggregatedOut,
    narrow: formsOut.narrow,
    broad: formsOut.broad,
    pagedNarrow: pagedOut.narrow,
    pagedBroad: pagedOut.broad,
  }
}

/** What each impersonation pair may access, observed three ways (see observeImpersonation). */
export interface ImpersonationOutcomes {
  readonly sql: Outcomes
  /** The same scope paged two rows at a time (the intersection keeps the branches). */
  readonly paged: Outcomes
  /**
   * Paged again with both users' business unit statistics left out, so every caller with a
   * Business Unit or Parent: Child term is taken as narrow and its scope has branches.
   */
  readonly pagedBranches: Outcomes
  readonly perRecord: Outcomes
  readonly oracle: Outcomes
}

/**
 * Impersonation (docs/authz.md §8): for every ordered pair of distinct users, the first acting
 * with the second as the real caller (`impersonator`), the records each right reaches through
 * recordAccess's SQL (whole and paged), through checkCallerAccess per record, and by the
 * oracle: both must hold the privilege, and a record must be allowed to both. Keyed
 * `<acting> for <real>`.
 */
export async function observeImpersonation(
  e: Env,
  world: World,
  loaded: LoadedWorld,
  account: TableDef,
): Promise<ImpersonationOutcomes> {
  const out: ImpersonationOutcomes = {
    sql: {},
    paged: {},
    pagedBranches: {},
    perRecord: {},
    oracle: {},
  }
  const rows = await e.records.queryRecords(
    e.env,
    'account',
    { count: false, select: ['accountid', 'ownerid', 'owningbusinessunit'] },
    { limit: 100_000 },
  )
  const facts = worldFacts(world, loaded)
  const nameOf = (v: unknown) => loaded.name.get(String(v)) ?? String(v)
  // The real caller's token carries its groups; the user it acts as has none (its token isn't
  // in the request, docs/authz.md §8 and §16), so each user is loaded both ways.
  const callers = new Map<string, Caller>()
  const acted = new Map<string, Caller>()
  for (const user of world.users) {
    const userId = loaded.id.get(user.name) ?? ''
    const businessUnitId = loaded.id.get(user.bu) ?? ''
    const groups = tokenGroupsOf(user, loaded)
    for (const [map, withGroups] of [
      [callers, groups],
      [acted, []],
    ] as const) {
      const { security } = await loadSecurityContext(securityRowsOf(e.records, e.env), {
        systemUserId: userId,
        businessUnitId,
        groups: withGroups,
      })
      map.set(user.name, { systemUserId: userId, businessUnitId, roles: [], security })
    }
  }
  // The oracle's view of the user acted as: the same world without its token groups.
  const tokenless: World = { ...world, users: world.users.map((u) => ({ ...u, groups: [] })) }
  for (const [acting, actingCaller] of acted) {
    for (const [real, realCaller] of callers) {
      if (acting === real) continue
      const key = `${acting} for ${real}`
      const caller: Caller = { ...actingCaller, impersonator: realCaller }
      const narrow = (c: Caller): Caller => {
        if (c.security === undefined) return c
        const security = { ...c.security }
        delete security.businessUnits
        return { ...c, security }
      }
      const branched: Caller = { ...narrow(actingCaller), impersonator: narrow(realCaller) }
      for (const o of [out.sql, out.paged, out.pagedBranches, out.perRecord, out.oracle]) {
        o[key] = { Read: [], Write: [] }
      }
      for (const right of ['Read', 'Write'] as const) {
        const set = (o: Outcomes, v: readonly string[] | 'forbidden') => {
          ;(o[key] as Record<CheckedRight, readonly string[] | 'forbidden'>)[right] = v
        }
        let scope: RecordScope | undefined
        let forbidden = false
        try {
          scope = recordAccess(caller, account, OPERATION[right])
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'FORBIDDEN')) throw err
          forbidden = true
        }
        if (forbidden) {
          set(out.sql, 'forbidden')
          set(out.paged, 'forbidden')
          set(out.pagedBranches, 'forbidden')
        } else {
          const b = recordAccess(branched, account, OPERATION[right])
          set(out.pagedBranches, (await pageThrough(e, account, b)).map(nameOf).sort())
          const r = await e.records.queryRecords(
            e.env,
            'account',
            { count: false, select: ['accountid'] },
            { ...(scope === undefined ? {} : { scope }), limit: 100_000 },
          )
          set(out.sql, r.records.map((x) => nameOf(x['accountid'])).sort())
          set(out.paged, (await pageThrough(e, account, scope)).map(nameOf).sort())
        }
        const both = [actingCaller, realCaller].every(
          (c) => c.security && resolveTablePrivilege(c.security, account, right) !== undefined,
        )
        set(
          out.perRecord,
          both
            ? rows.records
                .filter((r) =>
                  checkCallerAccess(
                    caller,
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
            : 'forbidden',
        )
        set(
          out.oracle,
          oracleHasPrivilege(tokenless, acting, right) && oracleHasPrivilege(world, real, right)
            ? world.records
                .filter(
                  (rec) =>
                    oracleAllows(tokenless, acting, right, rec.name) &&
                    oracleAllows(world, real, right, rec.name),
                )
                .map((rec) => rec.name)
                .sort()
            : 'forbidden',
        )
      }
    }
  }
  return out
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

/** SecurityFacts read from the world itself (parent pointers, share list, managers). */
function worldFacts(world: World, loaded: LoadedWorld): SecurityFacts {
  const nameOf = (id: string) => loaded.name.get(id) ?? id
  const idOf = (name: string | undefined) =>
    name === undefined ? undefined : (loaded.id.get(name) ?? name)
  return {
    isInSubtree: (bu, ancestor) => isInSubtree(world, nameOf(bu), nameOf(ancestor)),
    reportDepth: (manager, user) => reportDepth(world, nameOf(manager), nameOf(user)),
    businessUnitOfUser: (user) => idOf(world.users.find((u) => u.name === nameOf(user))?.bu),
    parentBusinessUnit: (bu) =>
      idOf(world.businessUnits.find((b) => b.name === nameOf(bu))?.parent),
    shareMask: (_table, recordId, principalId) => {
      const line = lineOf(world, nameOf(recordId))
      return world.shares
        .filter((s) => line.includes(s.record) && s.principal === nameOf(principalId))
        .reduce((m, s) => m | s.mask, 0)
    },
  }
}

// ---- The brute-force oracle, written from dataverse-spec §3 directly (not from the
// ---- TablePrivilege fold): every grant is checked against the record on its own.

/** A record and its ancestors through `parent` (a share of any of them reaches the record). */
function lineOf(world: World, record: string): string[] {
  const line: string[] = []
  for (let at: string | undefined = record; at !== undefined && !line.includes(at);) {
    line.push(at)
    const current: string = at
    at = world.records.find((r) => r.name === current)?.parent
  }
  return line
}

function isInSubtree(world: World, bu: string, ancestor: string): boolean {
  let at: string | undefined = bu
  for (let i = 0; at !== undefined && i < 1000; i++) {
    if (at === ancestor) return true
    const current: string = at
    at = world.businessUnits.find((b) => b.name === current)?.parent
  }
  return false
}

/** Levels from `user` up its manager chain to `manager` (0: itself), if `manager` is on it. */
function reportDepth(world: World, manager: string, user: string): number | undefined {
  let at: string | undefined = user
  for (let depth = 0; at !== undefined && depth < 1000; depth++) {
    if (at === manager) return depth
    const current: string = at
    at = world.users.find((u) => u.name === current)?.manager
  }
  return undefined
}

/**
 * Hierarchy access, from dataverse-spec §3 and docs/authz.md §15: the record's owner is a
 * user 1..depth levels below `user` (write: 1..min(write levels, depth)), and with the business
 * unit rule the owner's unit is the manager's or a child of it. Any privilege depth suffices.
 */
function oracleHierarchy(world: World, user: string, right: CheckedRight, owner: string): boolean {
  const h = world.hierarchy
  if (h === undefined || !h.enabled || h.accountExcluded) return false
  const reach = right === 'Read' ? h.depth : Math.min(h.depth, h.writeLevels)
  const depth = reportDepth(world, user, owner)
  if (depth === undefined || depth < 1 || depth > reach) return false
  if (!h.sameOrParentBusinessUnit) return true
  const managerBu = world.users.find((u) => u.name === user)?.bu
  const ownerBu = world.users.find((u) => u.name === owner)?.bu
  if (ownerBu === undefined) return false
  const parent = world.businessUnits.find((b) => b.name === ownerBu)?.parent
  return ownerBu === managerBu || parent === managerBu
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
  if (oracleHierarchy(world, user, right, rec.owner)) return true
  const principals = new Set([user, ...teams, 'org'])
  const line = lineOf(world, record)
  return world.shares.some(
    (s) =>
      line.includes(s.record) &&
      principals.has(s.principal) &&
      (s.mask & ACCESS_RIGHT_MASK[right]) !== 0,
  )
}
