/**
 * The data generator of `npm run bench:authz` (issue #5): a business unit tree, users, default
 * teams, one custom role per access depth, accounts and shares, deterministic from a seed.
 * Security rows (units, users, teams, roles) go through the records layer, so the closure
 * triggers and lookups run as in production; the bulk rows (accounts, shares) are inserted in
 * batches with the system columns the records layer would write, for speed.
 */
import { sql } from 'kysely'
import { privilegeIdOf, privilegeName, type Depth } from '../src/authz/index.ts'
import type { RecordOperations, ProvisionedIds } from '../src/records/index.ts'
import type { EnvironmentId } from '../src/shared/ids.ts'
import type { EnvDb } from '../src/storage/index.ts'

export interface AuthzBenchShape {
  readonly rows: number
  readonly businessUnits: number
  readonly users: number
  readonly shares: number
  readonly seed: number
}

/** The issue's shape: 1,000,000 accounts, 200 units 5 levels deep, 10,000 users, 50,000 shares. */
export const ISSUE_SHAPE: AuthzBenchShape = {
  rows: 1_000_000,
  businessUnits: 200,
  users: 10_000,
  shares: 50_000,
  seed: 5,
}

/**
 * The $filter values the benchmarks time, each with $top=50 (issue #5: `accounts?$filter=…`):
 * the "Active Accounts" view (every generated account is active, so it matches all rows), a
 * name prefix matching a tenth of the names whatever `rows` is (names are 'Account 0000000'…,
 * in insertion order, unrelated to the accountid order), and a range matching a tenth.
 */
export const benchFilters = (rows: number): string[] => [
  'statecode eq 0',
  `startswith(name,'Account ${'0'.repeat(Math.max(0, 7 - Math.round(Math.log10(rows))))}1')`,
  'numberofemployees ge 9000',
]

/** A small deterministic generator (xorshift32): benchmark data, not security. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x1_0000_0000
  }
}

const uuidFrom = (next: () => number): string => {
  const hex = Array.from({ length: 4 }, () =>
    Math.floor(next() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0'),
  ).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * Parents of a tree of `count` units (index 0 the root) five levels deep: 4 units at level 1,
 * 3 under each of those, 3 under each of those, and the rest spread over level 3.
 */
export function businessUnitTree(count: number): { parent: number; level: number }[] {
  const units = [{ parent: -1, level: 0 }]
  const levelOf: number[][] = [[0]]
  const fanout = [4, 3, 3]
  for (let level = 1; level <= 3; level++) {
    levelOf[level] = []
    for (const p of levelOf[level - 1] ?? []) {
      for (let i = 0; i < (fanout[level - 1] ?? 0) && units.length < count; i++) {
        levelOf[level]?.push(units.length)
        units.push({ parent: p, level })
      }
    }
  }
  const leaves = levelOf[3] ?? []
  for (let i = 0; units.length < count; i++) {
    units.push({ parent: leaves[i % leaves.length] ?? 0, level: 4 })
  }
  return units
}

export interface BenchWorld {
  readonly businessUnitIds: readonly string[]
  readonly levels: readonly number[]
  /** Callers holding Read on account at each depth, with their business unit. */
  readonly callers: Readonly<
    Record<
      'user' | 'businessUnit' | 'parentChild' | 'organization' | 'manager',
      {
        readonly systemUserId: string
        readonly businessUnitId: string
      }
    >
  >
}

interface Target {
  readonly records: RecordOperations
  readonly env: EnvironmentId
  readonly ids: ProvisionedIds
  /** Runs `fn` on the environment database (bulk inserts). */
  use<T>(fn: (db: EnvDb) => Promise<T>): Promise<T>
}

/** Hierarchy security in the bench (docs/authz.md §15): direct reports, and theirs each. */
export const MANAGER_SHAPE = { direct: 10, perReport: 4, depth: 2 } as const

const DEPTHS: readonly [Exclude<keyof BenchWorld['callers'], 'manager'>, Depth][] = [
  ['user', 1],
  ['businessUnit', 2],
  ['parentChild', 4],
  ['organization', 8],
]

/** Seeds the world; `log` receives progress lines. */
export async function seedAuthzWorld(
  t: Target,
  shape: AuthzBenchShape,
  log: (line: string) => void,
): Promise<BenchWorld> {
  const next = prng(shape.seed)
  const actor = { actorId: t.ids.systemUserId }
  const tree = businessUnitTree(shape.businessUnits)
  const buIds: string[] = [t.ids.businessUnitId]
  const userIds: string[] = []
  const userBu: number[] = []
  const roleIds = new Map<string, string>()
  await t.records.transaction(t.env, async (tx) => {
    for (let i = 1; i < tree.length; i++) {
      const unit = tree[i]
      const id = await tx.createRecord(
        t.env,
        'businessunit',
        { name: `BU ${String(i)}`, parentbusinessunitid: buIds[unit?.parent ?? 0] },
        actor,
      )
      buIds.push(id)
      await tx.createRecord(
        t.env,
        'team',
        { name: `BU ${String(i)}`, teamtype: 0, businessunitid: id, isdefault: true },
        actor,
      )
    }
    for (const [name, depth] of DEPTHS) {
      const roleId = await tx.createRecord(
        t.env,
        'role',
        { name: `bench ${name}`, businessunitid: t.ids.businessUnitId },
        actor,
      )
      roleIds.set(name, roleId)
      for (const right of ['Read', 'Write'] as const) {
        await tx.createRecord(
          t.env,
          'roleprivileges',
          {
            roleid: roleId,
            privilegeid: privilegeIdOf(privilegeName(right, 'account')),
            privilegedepthmask: depth,
          },
          actor,
        )
      }
    }
  })
  log(`  ${String(buIds.length)} business units`)
  for (let done = 0; done < shape.users; done += 1000) {
    await t.records.transaction(t.env, async (tx) => {
      for (let i = done; i < Math.min(shape.users, done + 1000); i++) {
        const bu = i % buIds.length
        userIds.push(
          await tx.createRecord(
            t.env,
            'systemuser',
            { fullname: `User ${String(i)}`, businessunitid: buIds[bu] },
            actor,
          ),
        )
        userBu.push(bu)
      }
    })
  }
  log(`  ${String(userIds.length)} users`)
  // The callers: User and Organization in a level-4 unit, Business Unit in a level-4 unit,
  // Parent: Child in a level-1 unit (about a quarter of the data below it).
  const firstAt = (level: number) => userBu.findIndex((b) => tree[b]?.level === level)
  const leafUser = firstAt(4)
  const topUser = firstAt(1)
  const pick: Record<keyof BenchWorld['callers'], number> = {
    user: leafUser,
    businessUnit: leafUser + buIds.length,
    parentChild: topUser,
    organization: leafUser + 2 * buIds.length,
    manager: firstAt(3),
  }
  // The manager: User-level (Basic) Read/Write like the User caller, in a level-3 unit, with
  // MANAGER_SHAPE.direct direct reports and MANAGER_SHAPE.perReport reports under each (50
  // users: Dataverse's guidance is at most 50 effective users under a manager), all in its
  // unit or a child unit; hierarchy security on, depth 2, direct reports writable.
  const managerBu = userBu[pick.manager] ?? 0
  const taken = new Set(Object.values(pick))
  const candidates = userIds
    .map((_, i) => i)
    .filter(
      (i) =>
        !taken.has(i) && (userBu[i] === managerBu || tree[userBu[i] ?? 0]?.parent === managerBu),
    )
  const direct = candidates.slice(0, MANAGER_SHAPE.direct)
  const second = candidates.slice(
    MANAGER_SHAPE.direct,
    MANAGER_SHAPE.direct * (1 + MANAGER_SHAPE.perReport),
  )
  await t.records.transaction(t.env, async (tx) => {
    for (const [name] of DEPTHS) {
      await tx.createRecord(
        t.env,
        'systemuserroles',
        { systemuserid: userIds[pick[name]], roleid: roleIds.get(name) },
        actor,
      )
    }
    await tx.createRecord(
      t.env,
      'systemuserroles',
      { systemuserid: userIds[pick.manager], roleid: roleIds.get('user') },
      actor,
    )
    const manage = (report: number, manager: number) =>
      tx.updateRecord(
        t.env,
        'systemuser',
        userIds[report] ?? '',
        { parentsystemuserid: userIds[manager] },
        actor,
      )
    for (const r of direct) await manage(r, pick.manager)
    for (const [i, r] of second.entries()) {
      await manage(r, direct[Math.floor(i / MANAGER_SHAPE.perReport)] ?? pick.manager)
    }
    await tx.updateRecord(
      t.env,
      'organization',
      t.ids.organizationId,
      {
        enablehierarchicalsecuritymodel: true,
        maxdepthforhierarchicalsecuritymodel: MANAGER_SHAPE.depth,
        hierarchylevelforhierarchyfeature: 1,
      },
      actor,
    )
  })
  log(`  a manager with ${String(direct.length + second.length)} reports`)
  const now = new Date().toISOString().slice(0, 19) + 'Z'
  const reserve = async (db: EnvDb, n: number): Promise<bigint> => {
    const row = await db
      .updateTable('_rowversion')
      .set({ value: sql`value + ${n}` })
      .where('id', '=', 1)
      .returning('value')
      .executeTakeFirstOrThrow()
    return BigInt(row['value'] as number | bigint) - BigInt(n)
  }
  const system = (version: bigint) => ({
    createdon: now,
    modifiedon: now,
    createdby: t.ids.systemUserId,
    modifiedby: t.ids.systemUserId,
    statecode: 0,
    statuscode: 1,
    versionnumber: version,
  })
  const accountIds: string[] = []
  const BATCH = 500
  const t0 = performance.now()
  for (let done = 0; done < shape.rows; done += 20_000) {
    await t.use((db) =>
      db.transaction().execute(async (trx) => {
        const end = Math.min(shape.rows, done + 20_000)
        let version = await reserve(trx, end - done)
        for (let b = done; b < end; b += BATCH) {
          const rows = []
          for (let i = b; i < Math.min(end, b + BATCH); i++) {
            const owner = Math.floor(next() * userIds.length)
            const id = uuidFrom(next)
            accountIds.push(id)
            version += 1n
            rows.push({
              accountid: id,
              name: `Account ${String(i).padStart(7, '0')}`,
              numberofemployees: Math.floor(next() * 10_000),
              industrycode: 1 + Math.floor(next() * 8),
              ownerid: userIds[owner],
              owningbusinessunit: buIds[userBu[owner] ?? 0],
              ...system(version),
            })
          }
          await trx.insertInto('account').values(rows).execute()
        }
      }),
    )
    if ((done / 20_000) % 10 === 0) log(`  ${String(done)} accounts…`)
  }
  log(`  ${String(shape.rows)} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  await t.use((db) =>
    db.transaction().execute(async (trx) => {
      let version = await reserve(trx, shape.shares)
      for (let b = 0; b < shape.shares; b += BATCH) {
        const rows = []
        for (let i = b; i < Math.min(shape.shares, b + BATCH); i++) {
          version += 1n
          rows.push({
            principalobjectaccessid: uuidFrom(next),
            objectid: accountIds[Math.floor(next() * accountIds.length)],
            objecttypecode: 'account',
            principalid: userIds[Math.floor(next() * userIds.length)],
            principaltypecode: 'systemuser',
            accessrightsmask: 1,
            inheritedaccessrightsmask: 0,
            ...system(version),
          })
        }
        await trx.insertInto('principalobjectaccess').values(rows).execute()
      }
    }),
  )
  log(`  ${String(shape.shares)} shares`)
  const caller = (i: number) => ({
    systemUserId: userIds[i] ?? '',
    businessUnitId: buIds[userBu[i] ?? 0] ?? '',
  })
  return {
    businessUnitIds: buIds,
    levels: tree.map((u) => u.level),
    callers: {
      user: caller(pick.user),
      businessUnit: caller(pick.businessUnit),
      parentChild: caller(pick.parentChild),
      organization: caller(pick.organization),
      manager: caller(pick.manager),
    },
  }
}
