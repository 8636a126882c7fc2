import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TableDef } from '../records/index.ts'
import { predefinedRoleByName } from './predefined-roles.ts'
import {
  BASIC,
  DEEP,
  GLOBAL,
  LOCAL,
  nameBasedId,
  privilegeIdOf,
  privilegeName,
  type Depth,
} from './privileges.ts'
import type { GrantAnchor, RoleGrant, SecurityContext } from './security-context.ts'
import { buildRecordScope, scopeFormOf } from './build-record-scope.ts'
import { resolveTablePrivilege } from './table-privilege.ts'
import { hasTaskPrivilege } from './has-task-privilege.ts'

const ACCOUNT: TableDef = {
  name: 'account',
  entitySetName: 'accounts',
  displayName: 'Account',
  ownership: 'user',
  primaryIdColumn: 'accountid',
  primaryNameColumn: 'name',
  system: false,
  columns: [],
}
const SETTING: TableDef = { ...ACCOUNT, name: 'new_setting', ownership: 'organization' }

const USER = 'u1'
const USER_BU = 'bu-user'
const TEAM = 't1'
const TEAM_BU = 'bu-team'
const ORG = 'org'

const grant = (
  depth: Depth,
  anchor: GrantAnchor = { kind: 'user' },
  extra: Partial<RoleGrant> = {},
): RoleGrant => ({
  roleId: `role-${String(depth)}`,
  privileges: new Map([[privilegeIdOf(privilegeName('Read', 'account')), depth]]),
  anchor,
  ...extra,
})
const TEAM_ANCHOR: GrantAnchor = { kind: 'team', teamId: TEAM, businessUnitId: TEAM_BU }
const context = (grants: RoleGrant[]): SecurityContext => ({
  userId: USER,
  businessUnitId: USER_BU,
  organizationId: ORG,
  teams: [{ teamId: TEAM, businessUnitId: TEAM_BU }],
  grants,
})
const read = (grants: RoleGrant[], table = ACCOUNT) =>
  resolveTablePrivilege(context(grants), table, 'Read')

describe('resolveTablePrivilege', () => {
  it('no grant at any depth: undefined (missing privilege)', () => {
    assert.equal(read([]), undefined)
    assert.equal(resolveTablePrivilege(context([grant(GLOBAL)]), ACCOUNT, 'Write'), undefined)
  })

  it('User depth, user anchor: records of the user and its teams; shares to user, teams, org', () => {
    assert.deepEqual(read([grant(BASIC)]), {
      global: false,
      owners: [TEAM, USER],
      localBusinessUnits: [],
      deepBusinessUnits: [],
      sharePrincipals: [ORG, TEAM, USER],
    })
  })

  it('Business Unit depth adds the user’s business unit', () => {
    assert.deepEqual(read([grant(LOCAL)])?.localBusinessUnits, [USER_BU])
  })

  it('Parent: Child depth adds the business unit as a subtree root', () => {
    const p = read([grant(DEEP)])
    assert.deepEqual([p?.localBusinessUnits, p?.deepBusinessUnits], [[], [USER_BU]])
  })

  it('a unit both local and deep is kept once, as deep', () => {
    const p = read([grant(LOCAL), grant(DEEP)])
    assert.deepEqual([p?.localBusinessUnits, p?.deepBusinessUnits], [[], [USER_BU]])
  })

  it('Organization depth: global, no lists', () => {
    assert.deepEqual(read([grant(BASIC), grant(GLOBAL)]), {
      global: true,
      owners: [],
      localBusinessUnits: [],
      deepBusinessUnits: [],
      sharePrincipals: [ORG, TEAM, USER],
    })
  })

  it('a team role acts as the team: its records and its business unit, not the user’s', () => {
    const p = read([grant(LOCAL, TEAM_ANCHOR)])
    assert.deepEqual([p?.owners, p?.localBusinessUnits], [[TEAM], [TEAM_BU]])
  })

  it('member’s privilege inheritance: the direct grant is capped at Basic', () => {
    const p = read([grant(DEEP, TEAM_ANCHOR), grant(DEEP, { kind: 'user' }, { maxDepth: BASIC })])
    assert.deepEqual(
      [p?.owners, p?.localBusinessUnits, p?.deepBusinessUnits],
      [[TEAM, USER], [], [TEAM_BU]],
    )
  })

  it('organization-owned tables: any depth counts as Organization', () => {
    const grants = [
      {
        ...grant(BASIC),
        privileges: new Map([[privilegeIdOf('prvReadnew_setting'), BASIC]]),
      },
    ]
    assert.equal(read(grants, SETTING)?.global, true)
  })

  it('predefined templates and stored rows are unioned', () => {
    const basic = predefinedRoleByName('Basic User')
    assert.ok(basic)
    const g = { ...grant(DEEP), templateId: basic.templateId }
    assert.deepEqual(read([g])?.deepBusinessUnits, [USER_BU])
    const w = resolveTablePrivilege(context([g]), ACCOUNT, 'Write')
    assert.deepEqual(w?.owners, [TEAM, USER])
  })

  it('privilege and template ids are stable name-based UUIDs (v5)', () => {
    assert.equal(privilegeIdOf('prvReadaccount'), privilegeIdOf('prvReadaccount'))
    assert.notEqual(privilegeIdOf('prvReadaccount'), privilegeIdOf('prvWriteaccount'))
    assert.match(
      nameBasedId('x'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })

  it('breadth: the share of business units reached picks the SQL shape', () => {
    const stats = (total: number, size: number) => ({
      ...context([]),
      businessUnits: { total, subtreeSize: new Map([[USER_BU, size]]) },
    })
    const local = resolveTablePrivilege(
      { ...stats(100, 30), grants: [grant(LOCAL)] },
      ACCOUNT,
      'Read',
    )
    assert.equal(local?.breadth, 0.01)
    assert.equal(scopeFormOf(local), 'narrow')
    const deep = resolveTablePrivilege(
      { ...stats(100, 30), grants: [grant(DEEP)] },
      ACCOUNT,
      'Read',
    )
    assert.equal(deep?.breadth, 0.3)
    assert.equal(scopeFormOf(deep), 'broad')
    const basic = resolveTablePrivilege(
      { ...stats(100, 30), grants: [grant(BASIC)] },
      ACCOUNT,
      'Read',
    )
    assert.equal(basic?.breadth, 0)
    // Without statistics (a hand-built caller): narrow.
    const bare = read([grant(DEEP)])
    assert.equal(bare?.breadth, undefined)
    assert.equal(bare && scopeFormOf(bare), 'narrow')
  })

  it('branches (docs/authz.md §5): only for a narrow scope with a business unit term', () => {
    const stats = (total: number, size: number) => ({
      ...context([]),
      businessUnits: { total, subtreeSize: new Map([[USER_BU, size]]) },
    })
    const scopeOf = (depth: Depth) => {
      const p = resolveTablePrivilege(
        { ...stats(100, 30), grants: [grant(depth)] },
        ACCOUNT,
        'Read',
      )
      return p && buildRecordScope(p, ACCOUNT, 'Read')
    }
    // Business Unit (narrow): owner and unit terms, each a branch.
    assert.notEqual(scopeOf(LOCAL)?.branches, undefined)
    // Parent: Child reaching 30 % (broad): the single statement walks the primary key.
    assert.equal(scopeOf(DEEP)?.branches, undefined)
    // User: the multi-index OR over its own rows (and shares) is already right.
    assert.equal(scopeOf(BASIC)?.branches, undefined)
    assert.equal(scopeOf(GLOBAL), undefined)
  })
})

describe('hasTaskPrivilege', () => {
  it('through a template (Delegate, System Administrator) or a stored row; not Basic User', () => {
    const role = (name: string) => predefinedRoleByName(name)?.templateId ?? ''
    const withTemplate = (name: string) =>
      context([{ ...grant(BASIC), privileges: new Map(), templateId: role(name) }])
    assert.equal(hasTaskPrivilege(withTemplate('Delegate'), 'prvActOnBehalfOfAnotherUser'), true)
    assert.equal(
      hasTaskPrivilege(withTemplate('System Administrator'), 'prvActOnBehalfOfAnotherUser'),
      true,
    )
    assert.equal(hasTaskPrivilege(withTemplate('Basic User'), 'prvActOnBehalfOfAnotherUser'), false)
    const stored = context([
      { ...grant(BASIC), privileges: new Map([[privilegeIdOf('prvReadAuditSummary'), GLOBAL]]) },
    ])
    assert.equal(hasTaskPrivilege(stored, 'prvReadAuditSummary'), true)
    assert.equal(hasTaskPrivilege(stored, 'prvActOnBehalfOfAnotherUser'), false)
  })
})
