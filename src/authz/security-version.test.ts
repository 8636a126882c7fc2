import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'

describe('security version (caller caches, docs/authz.md §7)', () => {
  let f: RecordsFixture
  before(async () => {
    f = await createRecordsFixture()
  })
  after(async () => {
    await f.close()
  })
  const version = () => f.service.readSecurityVersion(f.env)
  const actor = () => ({ actorId: f.ids.systemUserId })

  it('moves with users, teams, memberships, roles, privileges and business units only', async () => {
    let v = await version()
    const changed = async (what: string, changes: boolean) => {
      const now = await version()
      if (changes) assert.notEqual(now, v, what)
      else assert.equal(now, v, what)
      v = now
    }
    // Business data and shares: no change (shares are read live by the SQL scope).
    const account = await f.service.createRecord(f.env, 'account', { name: 'A' }, actor())
    await changed('account', false)
    await f.service.createRecord(
      f.env,
      'principalobjectaccess',
      {
        objectid: account,
        objecttypecode: 'account',
        principalid: f.ids.systemUserId,
        principaltypecode: 'systemuser',
        accessrightsmask: 1,
        inheritedaccessrightsmask: 0,
      },
      actor(),
    )
    await changed('share', false)
    // Everything a SecurityContext is read from: a change.
    const bu = await f.service.createRecord(
      f.env,
      'businessunit',
      { name: 'East', parentbusinessunitid: f.ids.businessUnitId },
      actor(),
    )
    await changed('business unit', true)
    const user = await f.service.createRecord(
      f.env,
      'systemuser',
      { fullname: 'U', businessunitid: bu },
      actor(),
    )
    await changed('user', true)
    const team = await f.service.createRecord(
      f.env,
      'team',
      { name: 'T', teamtype: 0, businessunitid: bu },
      actor(),
    )
    await changed('team', true)
    await f.service.createRecord(
      f.env,
      'teammembership',
      { systemuserid: user, teamid: team },
      actor(),
    )
    await changed('membership', true)
    await f.service.createRecord(
      f.env,
      'teamroles',
      { teamid: team, roleid: f.ids.basicUserRoleId },
      actor(),
    )
    await changed('team role', true)
    await f.service.createRecord(
      f.env,
      'systemuserroles',
      { systemuserid: user, roleid: f.ids.basicUserRoleId },
      actor(),
    )
    await changed('user role', true)
    await f.service.updateRecord(f.env, 'role', f.ids.basicUserRoleId, { isinherited: 1 }, actor())
    await changed('role', true)
    await f.service.createRecord(
      f.env,
      'roleprivileges',
      {
        roleid: f.ids.basicUserRoleId,
        privilegeid: '00000000-0000-0000-0000-000000000001',
        privilegedepthmask: 8,
      },
      actor(),
    )
    await changed('role privilege', true)
    await f.service.updateRecord(f.env, 'systemuser', user, { isdisabled: true }, actor())
    await changed('user disabled', true)
  })

  it('is seen by another process (another connection to the same file)', async () => {
    const before = await f.service.readSecurityVersion(f.env)
    const other = f.openDatabases()
    await other.use(f.env, (db) =>
      db
        .updateTable('team')
        .set({ name: 'Renamed' })
        .where('teamid', '=', f.ids.defaultTeamId)
        .execute(),
    )
    assert.notEqual(await f.service.readSecurityVersion(f.env), before)
  })
})
