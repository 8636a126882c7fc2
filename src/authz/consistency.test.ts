import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'
import {
  loadWorld,
  observe,
  observeImpersonation,
  worldHierarchyValues,
  type Outcomes,
  type World,
  type WorldHierarchy,
} from './consistency-world.ts'
import { BASIC, DEEP, GLOBAL, LOCAL, NONE, type Depth } from './privileges.ts'

/**
 * Consistency suite (docs/authz.md §9, in the style of SpiceDB's): worlds written as data are
 * loaded into a real encrypted environment database; what each user may read and write is
 * observed through the SQL scope (query and count), through checkRecordAccess per record and
 * through a brute-force oracle written from dataverse-spec §3, and all must agree — and, for
 * the hand-written worlds, equal the expected outcomes.
 */

const envOf = (f: RecordsFixture) => ({ records: f.service, env: f.env, ids: f.ids })

async function agree(f: RecordsFixture, world: World): Promise<Outcomes> {
  const e = envOf(f)
  const loaded = await loadWorld(e, world)
  const account = await f.service.getTable(f.env, 'account')
  const seen = await observe(e, world, loaded, account)
  assert.deepEqual(seen.sql, seen.oracle, 'SQL scope vs oracle')
  assert.deepEqual(seen.perRecord, seen.oracle, 'per-record check vs oracle')
  assert.deepEqual(seen.counts, seen.sql, '$count vs rows')
  assert.deepEqual(seen.aggregated, seen.sql, '$apply groupby vs rows')
  assert.deepEqual(seen.narrow, seen.oracle, "the 'narrow' SQL shape vs oracle")
  assert.deepEqual(seen.broad, seen.oracle, "the 'broad' SQL shape vs oracle")
  assert.deepEqual(seen.pagedNarrow, seen.oracle, "the 'narrow' shape paged by 2 vs oracle")
  assert.deepEqual(seen.pagedBroad, seen.oracle, "the 'broad' shape paged by 2 vs oracle")
  return seen.sql
}

async function withFixture<T>(fn: (f: RecordsFixture) => Promise<T>): Promise<T> {
  const f = await createRecordsFixture()
  try {
    return await fn(f)
  } finally {
    await f.close()
  }
}

const EMPTY: World = {
  businessUnits: [],
  users: [],
  teams: [],
  roles: [],
  userRoles: [],
  teamRoles: [],
  records: [],
  shares: [],
}

const DEPTHS_WORLD: World = {
  ...EMPTY,
  businessUnits: [
    { name: 'east', parent: 'root' },
    { name: 'east1', parent: 'east' },
    { name: 'east2', parent: 'east1' },
    { name: 'west', parent: 'root' },
  ],
  users: [
    { name: 'ua', bu: 'east' },
    { name: 'ub', bu: 'east' },
    { name: 'uc', bu: 'east' },
    { name: 'ud', bu: 'west' },
    { name: 'ue', bu: 'east2' },
    { name: 'uf', bu: 'root' },
  ],
  roles: [
    { name: 'user', read: BASIC, write: BASIC },
    { name: 'bu', read: LOCAL, write: LOCAL },
    { name: 'deep', read: DEEP, write: DEEP },
    { name: 'org', read: GLOBAL, write: GLOBAL },
    { name: 'readbu', read: LOCAL, write: BASIC },
  ],
  userRoles: [
    ['ua', 'user'],
    ['ub', 'bu'],
    ['uc', 'deep'],
    ['ud', 'org'],
    ['uf', 'readbu'],
  ],
  records: [
    { name: 'a_ua', owner: 'ua' },
    { name: 'a_ub', owner: 'ub' },
    { name: 'a_ue', owner: 'ue' },
    { name: 'a_ud', owner: 'ud' },
    { name: 'a_uf', owner: 'uf' },
  ],
}

const TEAMS_WORLD: World = {
  ...EMPTY,
  businessUnits: [
    { name: 'east', parent: 'root' },
    { name: 'west', parent: 'root' },
  ],
  users: [
    { name: 'frank', bu: 'west' },
    { name: 'gina', bu: 'west' },
    { name: 'hal', bu: 'east' },
  ],
  teams: [
    { name: 'sales', bu: 'east', members: ['frank'] },
    { name: 'support', bu: 'east', members: ['gina'] },
  ],
  roles: [
    { name: 'salesbu', read: LOCAL, write: NONE },
    { name: 'supportbu', read: LOCAL, write: BASIC, inherited: true },
  ],
  teamRoles: [
    ['sales', 'salesbu'],
    ['support', 'supportbu'],
  ],
  records: [
    { name: 't_sales', owner: 'sales' },
    { name: 't_support', owner: 'support' },
    { name: 'r_frank', owner: 'frank' },
    { name: 'r_gina', owner: 'gina' },
    { name: 'r_hal', owner: 'hal' },
  ],
}

const SHARES_WORLD: World = {
  ...EMPTY,
  users: [
    { name: 'ann', bu: 'root' },
    { name: 'ben', bu: 'root' },
    { name: 'cid', bu: 'root' },
  ],
  teams: [{ name: 'crew', bu: 'root', members: ['ann'] }],
  roles: [
    { name: 'basic', read: BASIC, write: BASIC },
    { name: 'readonly', read: BASIC, write: NONE },
  ],
  userRoles: [
    ['ann', 'basic'],
    ['ben', 'readonly'],
  ],
  records: [
    { name: 's_ann', owner: 'ann' },
    { name: 's_ben1', owner: 'ben' },
    { name: 's_ben2', owner: 'ben' },
    { name: 's_ben3', owner: 'ben' },
    { name: 's_ben4', owner: 'ben' },
  ],
  shares: [
    { record: 's_ben1', principal: 'ann', mask: 1 },
    { record: 's_ben2', principal: 'crew', mask: 2 },
    { record: 's_ben3', principal: 'org', mask: 1 },
    { record: 's_ben4', principal: 'ann', mask: 262144 },
    { record: 's_ann', principal: 'ben', mask: 3 },
  ],
}

const HIERARCHY: WorldHierarchy = {
  enabled: true,
  depth: 2,
  writeLevels: 1,
  sameOrParentBusinessUnit: true,
  accountExcluded: false,
}

/**
 * A manager chain boss → mid → low → deep (east, east, east1, east2), mid → off (disabled),
 * boss → far (west); nobody but boss's chain has a manager. Everyone holds Basic Read/Write.
 */
const HIERARCHY_WORLD: World = {
  ...EMPTY,
  businessUnits: [
    { name: 'east', parent: 'root' },
    { name: 'east1', parent: 'east' },
    { name: 'east2', parent: 'east1' },
    { name: 'west', parent: 'root' },
  ],
  users: [
    { name: 'boss', bu: 'east' },
    { name: 'mid', bu: 'east', manager: 'boss' },
    { name: 'low', bu: 'east1', manager: 'mid' },
    { name: 'deep', bu: 'east2', manager: 'low' },
    { name: 'off', bu: 'east', manager: 'mid', disabled: true },
    { name: 'far', bu: 'west', manager: 'boss' },
    { name: 'nopriv', bu: 'east' },
  ],
  roles: [{ name: 'user', read: BASIC, write: BASIC }],
  userRoles: [
    ['boss', 'user'],
    ['mid', 'user'],
    ['low', 'user'],
    ['deep', 'user'],
    ['off', 'user'],
    ['far', 'user'],
  ],
  records: ['boss', 'mid', 'low', 'deep', 'off', 'far'].map((u) => ({ name: `r_${u}`, owner: u })),
  hierarchy: HIERARCHY,
}

/** Each user's own record only: what every hierarchy-less outcome of HIERARCHY_WORLD is. */
const OWN_ONLY = {
  boss: { Read: ['r_boss'], Write: ['r_boss'] },
  mid: { Read: ['r_mid'], Write: ['r_mid'] },
  low: { Read: ['r_low'], Write: ['r_low'] },
  deep: { Read: ['r_deep'], Write: ['r_deep'] },
  off: { Read: ['r_off'], Write: ['r_off'] },
  far: { Read: ['r_far'], Write: ['r_far'] },
  nopriv: { Read: 'forbidden', Write: 'forbidden' },
}

const ACCESS_GROUP_WORLD: World = {
  ...EMPTY,
  businessUnits: [{ name: 'east', parent: 'root' }],
  users: [
    { name: 'ann', bu: 'root', groups: ['sales'] },
    { name: 'ben', bu: 'root' },
    { name: 'cid', bu: 'east', groups: ['sales'] },
  ],
  teams: [
    // A stored membership of a group team means nothing: members come from the token.
    { name: 'sales', bu: 'east', members: ['ben'], kind: 'group' },
    { name: 'deal', bu: 'root', members: ['ben', 'cid'], kind: 'access' },
  ],
  roles: [
    { name: 'basic', read: BASIC, write: BASIC },
    { name: 'local', read: LOCAL, write: NONE, inherited: true },
  ],
  userRoles: [
    ['ann', 'basic'],
    ['ben', 'basic'],
  ],
  teamRoles: [
    ['sales', 'local'],
    // A role on an access team grants nothing.
    ['deal', 'local'],
  ],
  records: [
    { name: 'g_sales', owner: 'sales' },
    { name: 'g_east', owner: 'cid' },
    { name: 'g_ann', owner: 'ann' },
    { name: 'g_shared', owner: 'ann' },
  ],
  shares: [{ record: 'g_shared', principal: 'deal', mask: 3 }],
}

describe('authorization consistency: hand-written worlds', () => {
  it('hierarchy security: read to the depth, write to the write level, the business unit rule, disabled reports', async () => {
    const seen = await withFixture((f) => agree(f, HIERARCHY_WORLD))
    assert.deepEqual(seen, {
      ...OWN_ONLY,
      // mid, low (east1 is a child of east) and off (disabled) at depths 1-2; deep is at depth
      // 3; far is in west, neither boss's unit nor a child of it. Write: direct reports only.
      boss: { Read: ['r_boss', 'r_low', 'r_mid', 'r_off'], Write: ['r_boss', 'r_mid'] },
      // deep's unit east2 is a grandchild of mid's east: not counted.
      mid: { Read: ['r_low', 'r_mid', 'r_off'], Write: ['r_low', 'r_mid', 'r_off'] },
      low: { Read: ['r_deep', 'r_low'], Write: ['r_deep', 'r_low'] },
    })
  })

  it('hierarchy security: without the business unit rule, deeper, more write levels', async () => {
    const world = {
      ...HIERARCHY_WORLD,
      hierarchy: { ...HIERARCHY, depth: 3, writeLevels: 2, sameOrParentBusinessUnit: false },
    }
    const seen = await withFixture((f) => agree(f, world))
    const all = ['r_boss', 'r_deep', 'r_far', 'r_low', 'r_mid', 'r_off']
    assert.deepEqual(seen, {
      ...OWN_ONLY,
      boss: { Read: all, Write: ['r_boss', 'r_far', 'r_low', 'r_mid', 'r_off'] },
      mid: {
        Read: ['r_deep', 'r_low', 'r_mid', 'r_off'],
        Write: ['r_deep', 'r_low', 'r_mid', 'r_off'],
      },
      low: { Read: ['r_deep', 'r_low'], Write: ['r_deep', 'r_low'] },
    })
  })

  it('hierarchy security: off, an excluded table, or write level 0 give nothing more', async () => {
    for (const hierarchy of [
      { ...HIERARCHY, enabled: false },
      { ...HIERARCHY, accountExcluded: true },
    ]) {
      const seen = await withFixture((f) => agree(f, { ...HIERARCHY_WORLD, hierarchy }))
      assert.deepEqual(seen, OWN_ONLY)
    }
    const readOnly = { ...HIERARCHY_WORLD, hierarchy: { ...HIERARCHY, writeLevels: 0 } }
    const seen = await withFixture((f) => agree(f, readOnly))
    assert.deepEqual(seen['boss'], {
      Read: ['r_boss', 'r_low', 'r_mid', 'r_off'],
      Write: ['r_boss'],
    })
  })

  it('the manager closure follows a manager change at once, and a cycle is refused', async () => {
    await withFixture(async (f) => {
      const e = envOf(f)
      const loaded = await loadWorld(e, HIERARCHY_WORLD)
      const id = (n: string) => loaded.id.get(n) ?? ''
      const actor = { actorId: f.ids.systemUserId }
      const account = await f.service.getTable(f.env, 'account')
      // low (with deep below) moves from mid to far; then the settings change.
      await f.service.updateRecord(
        f.env,
        'systemuser',
        id('low'),
        { parentsystemuserid: id('far') },
        actor,
      )
      const moved: World = {
        ...HIERARCHY_WORLD,
        users: HIERARCHY_WORLD.users.map((u) => (u.name === 'low' ? { ...u, manager: 'far' } : u)),
      }
      let seen = await observe(e, moved, loaded, account)
      assert.deepEqual(seen.sql, seen.oracle)
      assert.deepEqual(seen.perRecord, seen.oracle)
      assert.deepEqual(seen.sql['mid']?.Read, ['r_mid', 'r_off'])
      // low is now at depth 2 through far (east1 is still a child of boss's east).
      assert.deepEqual(seen.sql['boss']?.Read, ['r_boss', 'r_low', 'r_mid', 'r_off'])
      assert.deepEqual(seen.sql['far']?.Read, ['r_far'], 'low (east1) is not in or under west')
      const closure = () =>
        f.databases.use(f.env, (db) =>
          db
            .selectFrom('_manager_closure')
            .selectAll()
            .orderBy('managerid')
            .orderBy('reportid')
            .execute(),
        )
      const before = await closure()
      const refusal = {
        code: 'RECORD_INVALID',
        message:
          "Column 'parentsystemuserid': a user can't report to themselves or to one of their reports.",
      }
      for (const [user, manager] of [
        ['boss', 'deep'], // deep is below boss (boss → far → low → deep)
        ['far', 'low'],
        ['mid', 'mid'],
      ] as const) {
        await assert.rejects(
          f.service.updateRecord(
            f.env,
            'systemuser',
            id(user),
            { parentsystemuserid: id(manager) },
            actor,
          ),
          refusal,
        )
      }
      assert.deepEqual(await closure(), before, 'a refused change leaves the closure as it was')
      // Clearing a manager removes the whole subtree from the old chain.
      await f.service.updateRecord(
        f.env,
        'systemuser',
        id('far'),
        { parentsystemuserid: null },
        actor,
      )
      const cleared: World = {
        ...moved,
        users: moved.users.map((u) => (u.name === 'far' ? { name: 'far', bu: 'west' } : u)),
        hierarchy: { ...HIERARCHY, sameOrParentBusinessUnit: false },
      }
      await f.service.updateRecord(
        f.env,
        'organization',
        id('org'),
        worldHierarchyValues(cleared.hierarchy as WorldHierarchy),
        actor,
      )
      seen = await observe(e, cleared, loaded, account)
      assert.deepEqual(seen.sql, seen.oracle)
      assert.deepEqual(seen.perRecord, seen.oracle)
      assert.deepEqual(seen.sql['boss']?.Read, ['r_boss', 'r_mid', 'r_off'])
      assert.deepEqual(seen.sql['far']?.Read, ['r_deep', 'r_far', 'r_low'])
    })
  })

  it('access depths over a business unit tree', async () => {
    const seen = await withFixture((f) => agree(f, DEPTHS_WORLD))
    const all = ['a_ua', 'a_ub', 'a_ud', 'a_ue', 'a_uf']
    assert.deepEqual(seen, {
      ua: { Read: ['a_ua'], Write: ['a_ua'] },
      ub: { Read: ['a_ua', 'a_ub'], Write: ['a_ua', 'a_ub'] },
      uc: { Read: ['a_ua', 'a_ub', 'a_ue'], Write: ['a_ua', 'a_ub', 'a_ue'] },
      ud: { Read: all, Write: all },
      ue: { Read: 'forbidden', Write: 'forbidden' },
      uf: { Read: ['a_uf'], Write: ['a_uf'] },
    })
  })

  it("teams: a team role acts in the team's business unit; member's privilege inheritance", async () => {
    const seen = await withFixture((f) => agree(f, TEAMS_WORLD))
    assert.deepEqual(seen, {
      // Team privileges only: the team's BU, not frank's own record.
      frank: { Read: ['r_hal', 't_sales', 't_support'], Write: 'forbidden' },
      // Inherited: Basic for gina herself (her record and her team's) on top of the team's.
      gina: {
        Read: ['r_gina', 'r_hal', 't_sales', 't_support'],
        Write: ['r_gina', 't_support'],
      },
      hal: { Read: 'forbidden', Write: 'forbidden' },
    })
  })

  it('shares: to the user, a team, the organization; only the shared rights; never without the privilege', async () => {
    const seen = await withFixture((f) => agree(f, SHARES_WORLD))
    assert.deepEqual(seen, {
      ann: { Read: ['s_ann', 's_ben1', 's_ben3'], Write: ['s_ann', 's_ben2'] },
      ben: { Read: ['s_ann', 's_ben1', 's_ben2', 's_ben3', 's_ben4'], Write: 'forbidden' },
      cid: { Read: 'forbidden', Write: 'forbidden' },
    })
  })

  it('inherited shares: a share of a parent reaches its descendants, with the same rights; never without the privilege', async () => {
    const world: World = {
      ...SHARES_WORLD,
      records: [
        { name: 'p', owner: 'ben' },
        { name: 'c', owner: 'ben', parent: 'p' },
        { name: 'g', owner: 'ben', parent: 'c' },
        { name: 'other', owner: 'ben' },
      ],
      shares: [
        { record: 'p', principal: 'ann', mask: 1 },
        { record: 'c', principal: 'ann', mask: 2 },
        { record: 'g', principal: 'cid', mask: 3 },
      ],
    }
    const seen = await withFixture((f) => agree(f, world))
    assert.deepEqual(seen['ann'], { Read: ['c', 'g', 'p'], Write: ['c', 'g'] })
    assert.equal(seen['cid']?.Read, 'forbidden')
  })

  it('access teams share and hold no roles; group teams from token groups own and hold roles', async () => {
    const seen = await withFixture((f) => agree(f, ACCESS_GROUP_WORLD))
    assert.deepEqual(seen, {
      // ann: in sales by token (Local read in east: g_sales, g_east; inherited Basic).
      ann: {
        Read: ['g_ann', 'g_east', 'g_sales', 'g_shared'],
        Write: ['g_ann', 'g_sales', 'g_shared'],
      },
      // ben: a stored member of the group team counts for nothing; the access team's share
      // gives g_shared (read, write).
      ben: { Read: ['g_shared'], Write: ['g_shared'] },
      // cid: no role of its own; sales' role (Local in east) reads; the access team's share
      // needs a Write privilege it doesn't hold.
      cid: { Read: ['g_east', 'g_sales', 'g_shared'], Write: 'forbidden' },
    })
  })

  it('the closure follows a business unit move at once, and a cycle is refused', async () => {
    await withFixture(async (f) => {
      const e = envOf(f)
      const loaded = await loadWorld(e, DEPTHS_WORLD)
      const id = (n: string) => loaded.id.get(n) ?? ''
      const actor = { actorId: f.ids.systemUserId }
      // east1 (with east2 below it) moves from east to west.
      await f.service.updateRecord(
        f.env,
        'businessunit',
        id('east1'),
        { parentbusinessunitid: id('west') },
        actor,
      )
      const moved: World = {
        ...DEPTHS_WORLD,
        businessUnits: DEPTHS_WORLD.businessUnits.map((b) =>
          b.name === 'east1' ? { ...b, parent: 'west' } : b,
        ),
      }
      const account = await f.service.getTable(f.env, 'account')
      const seen = await observe(e, moved, loaded, account)
      assert.deepEqual(seen.sql, seen.oracle)
      assert.deepEqual(seen.perRecord, seen.oracle)
      assert.deepEqual(seen.narrow, seen.oracle)
      assert.deepEqual(seen.broad, seen.oracle)
      assert.deepEqual(seen.sql['uc']?.Read, ['a_ua', 'a_ub'])
      const before = await f.databases.use(f.env, (db) =>
        db
          .selectFrom('_bu_closure')
          .selectAll()
          .orderBy('ancestorid')
          .orderBy('descendantid')
          .execute(),
      )
      await assert.rejects(
        f.service.updateRecord(
          f.env,
          'businessunit',
          // east2 is now below west: west under east2 would be a cycle.
          id('west'),
          { parentbusinessunitid: id('east2') },
          actor,
        ),
        {
          code: 'RECORD_INVALID',
          message:
            "Column 'parentbusinessunitid': a business unit can't be moved under itself or one of its descendants.",
        },
      )
      await assert.rejects(
        f.service.updateRecord(
          f.env,
          'businessunit',
          id('east1'),
          { parentbusinessunitid: id('east1') },
          actor,
        ),
        {
          code: 'RECORD_INVALID',
          message:
            "Column 'parentbusinessunitid': a business unit can't be moved under itself or one of its descendants.",
        },
      )
      const after = await f.databases.use(f.env, (db) =>
        db
          .selectFrom('_bu_closure')
          .selectAll()
          .orderBy('ancestorid')
          .orderBy('descendantid')
          .execute(),
      )
      assert.deepEqual(after, before, 'a refused move leaves the closure as it was')
    })
  })
})

const DEPTH = fc.constantFrom<Depth>(NONE, BASIC, LOCAL, DEEP, GLOBAL)
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/**
 * Random worlds: up to 4 business units (any shape), 4 users (each with token groups), 3 teams
 * (owner, access or group), 3 roles, 8 records, 6 shares.
 */
const worldArbitrary: fc.Arbitrary<World> = fc
  .record({
    nb: fc.integer({ min: 0, max: 4 }),
    nu: fc.integer({ min: 1, max: 4 }),
    nt: fc.integer({ min: 0, max: 3 }),
    nr: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ nb, nu, nt, nr }) => {
    const bus = ['root', ...range(nb).map((i) => `b${String(i)}`)]
    const users = range(nu).map((i) => `u${String(i)}`)
    const teams = range(nt).map((i) => `t${String(i)}`)
    const roles = range(nr).map((i) => `r${String(i)}`)
    const owners = [...users, ...teams, 'rootteam']
    const principals = [...owners, 'org']
    return fc.record({
      businessUnits: fc.tuple(
        ...range(nb).map((i) =>
          fc
            .constantFrom(...bus.slice(0, i + 1))
            .map((parent) => ({ name: `b${String(i)}`, parent })),
        ),
      ),
      users: fc.tuple(
        ...users.map((name, i) =>
          fc.record(
            {
              name: fc.constant(name),
              bu: fc.constantFrom(...bus),
              // A manager earlier in the list: the generated hierarchy has no cycle.
              manager:
                i === 0 ? fc.constant(undefined) : fc.constantFrom(undefined, ...users.slice(0, i)),
              disabled: fc.boolean(),
              // Names of teams the token lists: only group teams' count.
              groups: fc.subarray(teams),
            },
            { requiredKeys: ['name', 'bu', 'groups'] },
          ),
        ),
      ),
      hierarchy: fc.option(
        fc.record({
          enabled: fc.boolean(),
          depth: fc.integer({ min: 1, max: 3 }),
          writeLevels: fc.integer({ min: 0, max: 3 }),
          sameOrParentBusinessUnit: fc.boolean(),
          accountExcluded: fc.boolean(),
        }),
        { nil: undefined },
      ),
      teams: fc.tuple(
        ...teams.map((name) =>
          fc.record({
            name: fc.constant(name),
            bu: fc.constantFrom(...bus),
            members: fc.subarray(users),
            isDefault: fc.boolean(),
            kind: fc.constantFrom('owner' as const, 'access' as const, 'group' as const),
          }),
        ),
      ),
      roles: fc.tuple(
        ...roles.map((name) =>
          fc.record({
            name: fc.constant(name),
            read: DEPTH,
            write: DEPTH,
            inherited: fc.boolean(),
          }),
        ),
      ),
      userRoles: fc.uniqueArray(fc.tuple(fc.constantFrom(...users), fc.constantFrom(...roles)), {
        maxLength: 6,
        selector: ([u, r]) => `${u}/${r}`,
      }),
      teamRoles: fc.uniqueArray(
        fc.tuple(fc.constantFrom(...teams, 'rootteam'), fc.constantFrom(...roles)),
        { maxLength: 4, selector: ([t, r]) => `${t}/${r}` },
      ),
      // Some records hang under an earlier one through a cascading lookup (inherited shares).
      records: fc
        .array(fc.tuple(fc.constantFrom(...owners), fc.option(fc.nat(7), { freq: 2 })), {
          maxLength: 8,
        })
        .map((os) =>
          os.map(([owner, parent], i) => ({
            name: `a${String(i)}`,
            owner,
            ...(parent === null || parent >= i ? {} : { parent: `a${String(parent)}` }),
          })),
        ),
      shares: fc.array(
        fc.record({
          record: fc.integer({ min: 0, max: 7 }).map((i) => `a${String(i)}`),
          principal: fc.constantFrom(...principals),
          mask: fc.constantFrom(1, 2, 3, 262144),
        }),
        { maxLength: 6 },
      ),
    })
  })
  .map(({ hierarchy, users, ...w }) => {
    // Access teams own nothing (creating such a record is refused): rootteam owns it instead.
    const access = new Set(w.teams.filter((t) => t.kind === 'access').map((t) => t.name))
    return {
      ...w,
      // exactOptionalPropertyTypes: absent, not undefined.
      users: users.map(({ manager, ...u }) => (manager === undefined ? u : { ...u, manager })),
      ...(hierarchy === undefined ? {} : { hierarchy }),
      records: w.records.map((r) => (access.has(r.owner) ? { ...r, owner: 'rootteam' } : r)),
      // Shares only of records that exist.
      shares: w.shares.filter((s) => w.records.some((r) => r.name === s.record)),
    }
  })

describe('authorization consistency: random worlds (fast-check)', () => {
  it('the SQL-pushed query, $count and the per-record check equal a brute-force oracle', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, (world) =>
        withFixture((f) => agree(f, world)).then(() => undefined),
      ),
      { numRuns: 50 },
    )
  })

  it('after manager changes (cycles refused), the same three agree', async () => {
    const withMoves = worldArbitrary.chain((world) => {
      const users = world.users.map((u) => u.name)
      return fc
        .array(
          fc.tuple(fc.constantFrom(...users), fc.option(fc.constantFrom(...users), { nil: null })),
          {
            maxLength: 4,
          },
        )
        .map((moves) => ({ world, moves }))
    })
    await fc.assert(
      fc.asyncProperty(withMoves, ({ world, moves }) =>
        withFixture(async (f) => {
          const e = envOf(f)
          const loaded = await loadWorld(e, world)
          const id = (n: string) => loaded.id.get(n) ?? ''
          const manager = new Map(world.users.map((u) => [u.name, u.manager]))
          const isBelow = (user: string, of: string) => {
            for (let at: string | undefined = user, i = 0; at !== undefined && i < 100; i++) {
              if (at === of) return true
              at = manager.get(at)
            }
            return false
          }
          for (const [user, to] of moves) {
            const write = f.service.updateRecord(
              f.env,
              'systemuser',
              id(user),
              { parentsystemuserid: to === null ? null : id(to) },
              { actorId: f.ids.systemUserId },
            )
            if (to !== null && isBelow(to, user)) {
              await assert.rejects(write, { code: 'RECORD_INVALID' })
              continue
            }
            await write
            manager.set(user, to ?? undefined)
          }
          const moved: World = {
            ...world,
            users: world.users.map((u) => {
              const m = manager.get(u.name)
              return m === undefined
                ? { name: u.name, bu: u.bu, ...(u.disabled === true ? { disabled: true } : {}) }
                : { ...u, manager: m }
            }),
          }
          const account = await f.service.getTable(f.env, 'account')
          const seen = await observe(e, moved, loaded, account)
          assert.deepEqual(seen.sql, seen.oracle, 'SQL scope vs oracle')
          assert.deepEqual(seen.perRecord, seen.oracle, 'per-record check vs oracle')
          assert.deepEqual(seen.narrow, seen.oracle)
          assert.deepEqual(seen.broad, seen.oracle)
          assert.deepEqual(seen.pagedNarrow, seen.oracle)
        }),
      ),
      { numRuns: 25 },
    )
  })

  it('impersonation: the intersection of two users, in SQL (whole, paged), per record and by the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, (world) =>
        withFixture(async (f) => {
          const e = envOf(f)
          const loaded = await loadWorld(e, world)
          const account = await f.service.getTable(f.env, 'account')
          const seen = await observeImpersonation(e, world, loaded, account)
          assert.deepEqual(seen.sql, seen.oracle, 'SQL scope vs oracle')
          assert.deepEqual(seen.paged, seen.oracle, 'paged SQL scope vs oracle')
          assert.deepEqual(seen.pagedBranches, seen.oracle, 'paged, with branches, vs oracle')
          assert.deepEqual(seen.perRecord, seen.oracle, 'per-record check vs oracle')
        }),
      ),
      { numRuns: 25 },
    )
  })

  it('after Assign (ownerid changes, the business unit follows), the same three agree', async () => {
    const withAssigns = worldArbitrary.chain((world) => {
      const owners = [
        ...world.users.map((u) => u.name),
        ...world.teams.filter((t) => t.kind !== 'access').map((t) => t.name),
        'rootteam',
      ]
      const records = world.records.map((r) => r.name)
      const assigns =
        records.length === 0
          ? fc.constant([] as [string, string][])
          : fc.array(fc.tuple(fc.constantFrom(...records), fc.constantFrom(...owners)), {
              maxLength: 4,
            })
      return assigns.map((list) => ({ world, assigns: list }))
    })
    await fc.assert(
      fc.asyncProperty(withAssigns, ({ world, assigns }) =>
        withFixture(async (f) => {
          const e = envOf(f)
          const loaded = await loadWorld(e, world)
          const id = (n: string) => loaded.id.get(n) ?? ''
          const owner = new Map(world.records.map((r) => [r.name, r.owner]))
          for (const [record, to] of assigns) {
            await f.service.updateRecord(
              f.env,
              'account',
              id(record),
              { ownerid: id(to) },
              { actorId: f.ids.systemUserId },
            )
            owner.set(record, to)
          }
          const assigned: World = {
            ...world,
            records: world.records.map((r) => ({ ...r, owner: owner.get(r.name) ?? r.owner })),
          }
          const account = await f.service.getTable(f.env, 'account')
          const seen = await observe(e, assigned, loaded, account)
          assert.deepEqual(seen.sql, seen.oracle, 'SQL scope vs oracle')
          assert.deepEqual(seen.perRecord, seen.oracle, 'per-record check vs oracle')
          assert.deepEqual(seen.narrow, seen.oracle)
          assert.deepEqual(seen.broad, seen.oracle)
        }),
      ),
      { numRuns: 25 },
    )
  })
})
