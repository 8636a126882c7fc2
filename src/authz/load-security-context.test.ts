import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadSecurityContext, type SecurityRows } from './load-security-context.ts'
import { predefinedRoleByName } from './predefined-roles.ts'
import { BASIC, DEEP, privilegeIdOf } from './privileges.ts'

type Row = Record<string, unknown>

/** SecurityRows over in-memory tables: AND over columns, each matching any of its values. */
const memoryRows = (tables: Record<string, Row[]>): SecurityRows => ({
  select: (table, columns, where) =>
    Promise.resolve(
      (tables[table] ?? [])
        .filter((r) => Object.entries(where).every(([c, vs]) => vs.includes(r[c] as string)))
        .map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))),
    ),
})

const SUPPORT = predefinedRoleByName('Support User')?.templateId
const ADMIN = predefinedRoleByName('System Administrator')?.templateId
const tables = (): Record<string, Row[]> => ({
  businessunit: [
    { businessunitid: 'root', parentbusinessunitid: null },
    { businessunitid: 'east', parentbusinessunitid: 'root' },
    { businessunitid: 'east1', parentbusinessunitid: 'east' },
    { businessunitid: 'west', parentbusinessunitid: 'root' },
  ],
  organization: [{ organizationid: 'org' }],
  team: [
    { teamid: 'default-east', businessunitid: 'east', isdefault: 1 },
    { teamid: 'default-west', businessunitid: 'west', isdefault: 1 },
    { teamid: 'sales', businessunitid: 'west', isdefault: 0 },
    { teamid: 'access', businessunitid: 'west', isdefault: 0, teamtype: 1 },
  ],
  teammembership: [
    { systemuserid: 'u', teamid: 'sales' },
    { systemuserid: 'u', teamid: 'access' },
  ],
  systemuserroles: [
    { systemuserid: 'u', roleid: 'custom' },
    { systemuserid: 'u', roleid: 'support' },
  ],
  teamroles: [
    { teamid: 'access', roleid: 'custom' },
    { teamid: 'sales', roleid: 'inheriting' },
    { teamid: 'default-east', roleid: 'admin' },
  ],
  role: [
    { roleid: 'custom', name: 'Custom', roletemplateid: null, isinherited: 0 },
    { roleid: 'support', name: 'Support User', roletemplateid: SUPPORT, isinherited: 0 },
    { roleid: 'inheriting', name: 'Inheriting', roletemplateid: null, isinherited: 1 },
    { roleid: 'admin', name: 'System Administrator', roletemplateid: ADMIN, isinherited: 1 },
  ],
  roleprivileges: [
    { roleid: 'custom', privilegeid: privilegeIdOf('prvReadaccount'), privilegedepthmask: BASIC },
    { roleid: 'custom', privilegeid: privilegeIdOf('prvReadaccount'), privilegedepthmask: DEEP },
    { roleid: 'custom', privilegeid: 'junk', privilegedepthmask: 3 },
    {
      roleid: 'inheriting',
      privilegeid: privilegeIdOf('prvReadaccount'),
      privilegedepthmask: DEEP,
    },
  ],
})

describe('loadSecurityContext', () => {
  it('teams: explicit memberships plus the default team of the user’s business unit', async () => {
    const { security } = await loadSecurityContext(memoryRows(tables()), {
      systemUserId: 'u',
      businessUnitId: 'east',
    })
    // The access team is a membership (a share principal), not a role holder.
    assert.deepEqual(security.teams, [
      { teamId: 'access', businessUnitId: 'west' },
      { teamId: 'default-east', businessUnitId: 'east' },
      { teamId: 'sales', businessUnitId: 'west' },
    ])
    assert.equal(security.organizationId, 'org')
    assert.deepEqual(security.businessUnits, {
      total: 4,
      subtreeSize: new Map([
        ['east', 2],
        ['west', 1],
      ]),
    })
  })

  it("grants: user roles, team roles as the team, inheritance capped at Basic (never System Administrator's), no Support User, none through an access team", async () => {
    const { security, roleNames } = await loadSecurityContext(memoryRows(tables()), {
      systemUserId: 'u',
      businessUnitId: 'east',
    })
    assert.deepEqual(roleNames, ['Custom', 'Support User'])
    const summary = security.grants.map((g) => ({
      role: g.roleId,
      anchor: g.anchor.kind === 'user' ? 'user' : g.anchor.teamId,
      cap: g.maxDepth,
    }))
    assert.deepEqual(summary, [
      { role: 'custom', anchor: 'user', cap: undefined },
      { role: 'inheriting', anchor: 'sales', cap: undefined },
      { role: 'inheriting', anchor: 'user', cap: BASIC },
      { role: 'admin', anchor: 'default-east', cap: undefined },
    ])
    // Stored privileges: the widest depth of duplicates wins; unknown depths are ignored.
    assert.deepEqual(
      [...(security.grants[0]?.privileges ?? [])],
      [[privilegeIdOf('prvReadaccount'), DEEP]],
    )
  })

  it('a user with no teams and no roles gets an empty context', async () => {
    const t = tables()
    t['team'] = []
    const { security, roleNames } = await loadSecurityContext(memoryRows(t), {
      systemUserId: 'nobody',
      businessUnitId: 'west',
    })
    assert.deepEqual([security.teams, security.grants, roleNames], [[], [], []])
  })
})
