import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely'
import type { TableDef } from '../records/index.ts'
import { buildRecordScope } from './build-record-scope.ts'
import { hierarchySettingsOf } from './load-security-context.ts'
import { BASIC, GLOBAL, privilegeIdOf, privilegeName, RIGHTS, type Depth } from './privileges.ts'
import {
  HIERARCHY_SETTING_COLUMNS,
  requireHierarchySettingsPrivilege,
} from './require-hierarchy-settings-privilege.ts'
import type { HierarchySettings, SecurityContext } from './security-context.ts'
import { hierarchyReach, resolveTablePrivilege } from './table-privilege.ts'

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

const ON: HierarchySettings = {
  readDepth: 3,
  writeDepth: 1,
  sameOrParentBusinessUnit: true,
  excludedTables: [],
}

const context = (hierarchy: HierarchySettings | undefined, depth: Depth = BASIC) =>
  ({
    userId: 'm',
    businessUnitId: 'bu',
    teams: [],
    grants: [
      {
        roleId: 'r',
        privileges: new Map(RIGHTS.map((r) => [privilegeIdOf(privilegeName(r, 'account')), depth])),
        anchor: { kind: 'user' },
      },
    ],
    ...(hierarchy === undefined ? {} : { hierarchy }),
  }) satisfies SecurityContext

describe('hierarchySettingsOf (the organization row)', () => {
  it('is undefined while off, and reads null columns as the defaults', () => {
    assert.equal(hierarchySettingsOf({ enablehierarchicalsecuritymodel: false }), undefined)
    assert.equal(hierarchySettingsOf({ enablehierarchicalsecuritymodel: null }), undefined)
    assert.equal(hierarchySettingsOf({}), undefined)
    assert.deepEqual(hierarchySettingsOf({ enablehierarchicalsecuritymodel: true }), {
      readDepth: 3,
      writeDepth: 1,
      sameOrParentBusinessUnit: true,
      excludedTables: [],
    })
  })

  it('caps the write depth at the read depth and parses the excluded tables', () => {
    assert.deepEqual(
      hierarchySettingsOf({
        enablehierarchicalsecuritymodel: true,
        maxdepthforhierarchicalsecuritymodel: 2,
        hierarchylevelforhierarchyfeature: 5,
        managersmustbeinsameorparentbusinessunitasreports: false,
        hierarchysecurityexcludedtables: 'contact,,account,contact',
      }),
      {
        readDepth: 2,
        writeDepth: 2,
        sameOrParentBusinessUnit: false,
        excludedTables: ['account', 'contact'],
      },
    )
  })
})

describe('hierarchyReach', () => {
  it('Read to the read depth; Write, Append, Append To to the write depth; nothing else', () => {
    const security = context(ON)
    const reach = (right: (typeof RIGHTS)[number]) => hierarchyReach(security, ACCOUNT, right)
    assert.deepEqual(reach('Read'), { managerId: 'm', depth: 3, businessUnitId: 'bu' })
    for (const right of ['Write', 'Append', 'AppendTo'] as const) {
      assert.deepEqual(reach(right), { managerId: 'm', depth: 1, businessUnitId: 'bu' })
    }
    for (const right of ['Create', 'Delete', 'Assign', 'Share'] as const) {
      assert.equal(reach(right), undefined, right)
    }
  })

  it('nothing while off, on an excluded or organization-owned table, or at write level 0', () => {
    assert.equal(hierarchyReach(context(undefined), ACCOUNT, 'Read'), undefined)
    const excluded = context({ ...ON, excludedTables: ['account'] })
    assert.equal(hierarchyReach(excluded, ACCOUNT, 'Read'), undefined)
    assert.equal(hierarchyReach(context(ON), SETTING, 'Read'), undefined)
    const readOnly = context({ ...ON, writeDepth: 0 })
    assert.equal(hierarchyReach(readOnly, ACCOUNT, 'Write'), undefined)
    assert.notEqual(hierarchyReach(readOnly, ACCOUNT, 'Read'), undefined)
  })

  it('without the business unit rule, any unit', () => {
    const reach = hierarchyReach(
      context({ ...ON, sameOrParentBusinessUnit: false }),
      ACCOUNT,
      'Read',
    )
    assert.deepEqual(reach, { managerId: 'm', depth: 3 })
  })

  it('needs the privilege itself; Organization depth needs no hierarchy term', () => {
    const none = { ...context(ON), grants: [] }
    assert.equal(resolveTablePrivilege(none, ACCOUNT, 'Read'), undefined)
    assert.equal(resolveTablePrivilege(context(ON, GLOBAL), ACCOUNT, 'Read')?.hierarchy, undefined)
    assert.deepEqual(resolveTablePrivilege(context(ON), ACCOUNT, 'Read')?.hierarchy, {
      managerId: 'm',
      depth: 3,
      businessUnitId: 'bu',
    })
  })

  it('the SQL term: an uncorrelated subquery on the closure, every value bound', () => {
    const privilege = resolveTablePrivilege(context(ON), ACCOUNT, 'Read')
    assert.ok(privilege)
    const scope = buildRecordScope(privilege, ACCOUNT, 'Read')
    assert.ok(scope)
    const db = new Kysely<Record<string, Record<string, unknown>>>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (k) => new SqliteIntrospector(k),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    })
    const query = db
      .selectFrom('account')
      .select('accountid')
      .where((eb) => scope.where(eb as never, ACCOUNT))
      .compile()
    assert.match(
      query.sql,
      /"account"\."ownerid" in \(select "_mc"\."reportid" from "_manager_closure" as "_mc" inner join "systemuser" as "_hu" on "_hu"\."systemuserid" = "_mc"\."reportid" where "_mc"\."managerid" = \? and "_mc"\."depth" >= \? and "_mc"\."depth" <= \? and "_hu"\."businessunitid" in \(select "_hbu"\."descendantid" from "_bu_closure" as "_hbu" where "_hbu"\."ancestorid" = \? and "_hbu"\."depth" <= \?\)\)/,
    )
    assert.ok(query.parameters.includes('m'))
    assert.ok(!query.sql.includes("'m'"))
  })
})

describe('requireHierarchySettingsPrivilege', () => {
  const ORGANIZATION: TableDef = { ...SETTING, name: 'organization' }
  const caller = (roles: string[]) => ({ systemUserId: 'u', businessUnitId: 'bu', roles })

  it('needs the task privilege only for a hierarchy setting of the organization', () => {
    const basic = caller(['Basic User'])
    requireHierarchySettingsPrivilege(basic, ORGANIZATION, { name: 'x' })
    requireHierarchySettingsPrivilege(basic, ACCOUNT, { enablehierarchicalsecuritymodel: true })
    for (const column of HIERARCHY_SETTING_COLUMNS) {
      assert.throws(
        () => {
          requireHierarchySettingsPrivilege(basic, ORGANIZATION, { [column]: null })
        },
        {
          code: 'FORBIDDEN',
          message: 'Principal user (Id=u) is missing prvChangeHierarchySecuritySettings privilege.',
        },
      )
    }
    requireHierarchySettingsPrivilege(caller(['System Administrator']), ORGANIZATION, {
      enablehierarchicalsecuritymodel: true,
    })
  })

  it('under impersonation needs it for the real caller too (the intersection)', () => {
    const admin = caller(['System Administrator'])
    const delegate = { ...caller(['Delegate']), systemUserId: 'real' }
    assert.throws(
      () => {
        requireHierarchySettingsPrivilege({ ...admin, impersonator: delegate }, ORGANIZATION, {
          enablehierarchicalsecuritymodel: true,
        })
      },
      {
        code: 'FORBIDDEN',
        message:
          'Principal user (Id=real) is missing prvChangeHierarchySecuritySettings privilege.',
      },
    )
    requireHierarchySettingsPrivilege(
      { ...admin, impersonator: { ...admin, systemUserId: 'real' } },
      ORGANIZATION,
      { enablehierarchicalsecuritymodel: true },
    )
  })
})
