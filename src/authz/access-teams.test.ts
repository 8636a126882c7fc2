import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'
import { addTeamMembers } from './add-team-members.ts'
import { addUserToRecordTeam } from './add-user-to-record-team.ts'
import { assignRole } from './assign-role.ts'
import type { Caller } from './caller.ts'
import { createTeam } from './create-team.ts'
import { createTeamTemplate } from './create-team-template.ts'
import { deleteTeamTemplate } from './delete-team-template.ts'
import { grantAccess } from './grant-access.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { ACCESS_RIGHT_MASK } from './privileges.ts'
import { recordAccess, SYSTEM_ADMINISTRATOR } from './record-access.ts'
import { removeUserFromRecordTeam } from './remove-user-from-record-team.ts'
import { securityRowsOf } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

const READ = ACCESS_RIGHT_MASK.Read
const WRITE = ACCESS_RIGHT_MASK.Write
const GROUP = '0f8fad5b-d9cb-469f-a165-70867728950e'
const OTHER_GROUP = '7c9e6679-7425-40de-944b-e07fc1f90ae7'

describe('access teams (team templates) and Entra group teams', () => {
  let f: RecordsFixture
  let deps: SharingDeps
  const users: Record<string, string> = {}
  let admin: Caller
  let annAccount = ''
  let template = ''

  const callerOf = async (name: string, groups: readonly string[] = []): Promise<Caller> => {
    const systemUserId = users[name] ?? ''
    const loaded = await loadSecurityContext(securityRowsOf(f.service, f.env), {
      systemUserId,
      businessUnitId: f.ids.businessUnitId,
      groups,
    })
    return {
      systemUserId,
      businessUnitId: f.ids.businessUnitId,
      roles: loaded.roleNames,
      security: loaded.security,
    }
  }
  const visibleTo = async (caller: Caller, right: 'query' | 'update' = 'query') => {
    const table = await f.service.getTable(f.env, 'account')
    const scope = recordAccess(caller, table, right)
    const r = await f.service.queryRecords(
      f.env,
      'account',
      { count: false, select: ['name'] },
      scope === undefined ? {} : { scope },
    )
    return r.records.map((x) => String(x['name'])).sort()
  }
  const input = (user: string, over: Partial<{ templateId: string; recordId: string }> = {}) => ({
    recordId: annAccount,
    userId: users[user] ?? '',
    templateId: template,
    ...over,
  })

  before(async () => {
    f = await createRecordsFixture()
    deps = { records: f.service, env: f.env }
    const actor = { actorId: f.ids.systemUserId }
    admin = {
      systemUserId: f.ids.systemUserId,
      businessUnitId: f.ids.businessUnitId,
      roles: [SYSTEM_ADMINISTRATOR],
    }
    for (const name of ['ann', 'ben', 'cid', 'dan']) {
      users[name] = await f.service.createRecord(
        f.env,
        'systemuser',
        { fullname: name, businessunitid: f.ids.businessUnitId },
        actor,
      )
      // dan has no role at all.
      if (name === 'dan') continue
      await f.service.createRecord(
        f.env,
        'systemuserroles',
        { systemuserid: users[name], roleid: f.ids.basicUserRoleId },
        actor,
      )
    }
    annAccount = await f.service.createRecord(
      f.env,
      'account',
      { name: 'Ann Co', ownerid: users['ann'] },
      actor,
    )
  })
  after(async () => {
    await f.close()
  })

  it('templates: needs the privilege, a user-owned table, a mask, and Dataverse limits', async () => {
    const ann = await callerOf('ann')
    await assert.rejects(
      createTeamTemplate(deps, ann, { name: 'T', table: 'account', accessMask: READ }),
      { code: 'FORBIDDEN', message: /prvCreateteamtemplate/ },
    )
    await assert.rejects(
      createTeamTemplate(deps, admin, { name: 'T', table: 'businessunit', accessMask: READ }),
      { code: 'VALIDATION' },
    )
    await assert.rejects(
      createTeamTemplate(deps, admin, { name: 'T', table: 'account', accessMask: 0 }),
      { code: 'VALIDATION' },
    )
    await assert.rejects(
      createTeamTemplate(deps, admin, { name: ' ', table: 'account', accessMask: READ }),
      { code: 'VALIDATION' },
    )
    template = await createTeamTemplate(deps, admin, {
      name: 'Account readers and writers',
      table: 'account',
      accessMask: READ | WRITE,
    })
    const second = await createTeamTemplate(deps, admin, {
      name: 'Second',
      table: 'account',
      accessMask: READ,
    })
    // MaxAutoCreatedAccessTeamsPerEntity = 2.
    await assert.rejects(
      createTeamTemplate(deps, admin, { name: 'Third', table: 'account', accessMask: READ }),
      { code: 'TEAM_TEMPLATE_LIMIT', message: /MaxAutoCreatedAccessTeamsPerEntity/ },
    )
    assert.equal(await deleteTeamTemplate(deps, admin, second), 0)
  })

  it('AddUserToRecordTeam: the first member creates the access team and its share; access on the next resolution', async () => {
    const ann = await callerOf('ann')
    assert.deepEqual(await visibleTo(await callerOf('ben')), [])
    const team = await addUserToRecordTeam(deps, ann, input('ben'))
    const row = await f.service.retrieveRecord(f.env, 'team', team, {
      select: ['teamtype', 'regardingobjectid', 'teamtemplateid', 'systemmanaged'],
    })
    assert.equal(row['teamtype'], 1)
    assert.equal(row['regardingobjectid'], annAccount)
    assert.equal(row['teamtemplateid'], template)
    assert.equal(row['systemmanaged'], true)
    const ben = await callerOf('ben')
    assert.deepEqual(await visibleTo(ben), ['Ann Co'])
    assert.deepEqual(await visibleTo(ben, 'update'), ['Ann Co'])
    // The second member joins the same team; adding twice changes nothing.
    assert.equal(await addUserToRecordTeam(deps, ann, input('cid')), team)
    assert.equal(await addUserToRecordTeam(deps, ann, input('cid')), team)
    assert.deepEqual(await visibleTo(await callerOf('cid')), ['Ann Co'])
  })

  it('AddUserToRecordTeam refusals: user without privileges, caller without the record, table mismatch, unknown ids', async () => {
    const ann = await callerOf('ann')
    await assert.rejects(addUserToRecordTeam(deps, ann, input('dan')), {
      code: 'ACCESS_TEAM_PRIVILEGES_MISSING',
      message:
        "You can't add the user to the access team because the user doesn't have sufficient privileges on the entity.",
    })
    // dan holds no Read privilege on account at all: 0x80040220.
    const dan = await callerOf('dan')
    await assert.rejects(addUserToRecordTeam(deps, dan, input('ben')), {
      code: 'FORBIDDEN',
      message: /prvReadaccount/,
    })
    await assert.rejects(
      addUserToRecordTeam(deps, ann, { ...input('ben'), recordTable: 'contact' }),
      { code: 'VALIDATION', message: /records of account/ },
    )
    await assert.rejects(
      addUserToRecordTeam(deps, ann, input('ben', { templateId: OTHER_GROUP })),
      { code: 'RECORD_NOT_FOUND' },
    )
    await assert.rejects(addUserToRecordTeam(deps, ann, { ...input('ben'), userId: OTHER_GROUP }), {
      code: 'VALIDATION',
      message: /systemuser/,
    })
  })

  it('access teams hold no roles and own nothing; user-created access teams take shares', async () => {
    const team = await createTeam(deps, admin, {
      name: 'Manual access team',
      businessUnitId: f.ids.businessUnitId,
      kind: { type: 1 },
    })
    await assert.rejects(
      assignRole(deps, admin, { kind: 'team', id: team }, f.ids.basicUserRoleId),
      { code: 'VALIDATION', message: /access team can't hold security roles/ },
    )
    await assert.rejects(
      f.service.createRecord(
        f.env,
        'account',
        { name: 'Team owned', ownerid: team },
        { actorId: f.ids.systemUserId },
      ),
      { code: 'RECORD_INVALID', message: /access team can't own records/ },
    )
    await addTeamMembers(deps, admin, team, [users['dan'] ?? ''])
    await grantAccess(deps, admin, 'account', annAccount, {
      principalId: team,
      principalType: 'team',
      accessMask: READ,
    })
    // dan has no Read privilege: the share shows nothing (spec §3 Sharing).
    await assert.rejects(visibleTo(await callerOf('dan')), { code: 'FORBIDDEN' })
  })

  it('RemoveUserFromRecordTeam: the member loses the access; deleting the template deletes its teams and shares', async () => {
    const ann = await callerOf('ann')
    await removeUserFromRecordTeam(deps, ann, input('ben'))
    assert.deepEqual(await visibleTo(await callerOf('ben')), [])
    // Not a member: nothing changes.
    await removeUserFromRecordTeam(deps, ann, input('ben'))
    await assert.rejects(removeUserFromRecordTeam(deps, await callerOf('ben'), input('cid')), {
      code: 'RECORD_NOT_FOUND',
    })
    assert.deepEqual(await visibleTo(await callerOf('cid')), ['Ann Co'])
    assert.equal(await deleteTeamTemplate(deps, admin, template), 1)
    assert.deepEqual(await visibleTo(await callerOf('cid')), [])
    const shares = await f.service.queryRecords(
      f.env,
      'principalobjectaccess',
      { count: false, select: ['principalid'] },
      { where: (eb) => eb(eb.ref('objectid'), '=', annAccount) },
    )
    assert.equal(shares.records.length, 1) // the manual access team's share only
    await assert.rejects(deleteTeamTemplate(deps, admin, template), { code: 'RECORD_NOT_FOUND' })
  })

  it('Entra group teams: membership from the token groups only; roles and ownership apply', async () => {
    const team = await createTeam(deps, admin, {
      name: 'Sales group',
      businessUnitId: f.ids.businessUnitId,
      kind: { type: 2, groupId: GROUP.toUpperCase() },
    })
    await assert.rejects(
      createTeam(deps, admin, {
        name: 'Again',
        businessUnitId: f.ids.businessUnitId,
        kind: { type: 3, groupId: GROUP },
      }),
      { code: 'ALREADY_EXISTS' },
    )
    await assert.rejects(
      createTeam(deps, admin, {
        name: 'Bad',
        businessUnitId: f.ids.businessUnitId,
        kind: { type: 2, groupId: 'not-a-guid' },
      }),
      { code: 'VALIDATION' },
    )
    await assert.rejects(addTeamMembers(deps, admin, team, [users['ben'] ?? '']), {
      code: 'VALIDATION',
      message: /groups claim/,
    })
    await f.service.createRecord(
      f.env,
      'account',
      { name: 'Group Co', ownerid: team },
      { actorId: f.ids.systemUserId },
    )
    // ben (Basic User: Basic Read) sees the group-owned record only while its token lists
    // the group; a Basic User role on the team grants dan the same through the team.
    assert.deepEqual(await visibleTo(await callerOf('ben')), [])
    assert.deepEqual(await visibleTo(await callerOf('ben', [GROUP])), ['Group Co'])
    assert.deepEqual(await visibleTo(await callerOf('ben', [OTHER_GROUP])), [])
    await assert.rejects(visibleTo(await callerOf('dan', [GROUP])), { code: 'FORBIDDEN' })
    await assignRole(deps, admin, { kind: 'team', id: team }, f.ids.basicUserRoleId)
    const dan = await callerOf('dan', [GROUP])
    assert.ok(dan.security?.teams.some((t) => t.teamId === team))
    // Group Co through the group team's ownership; Ann Co through the share with the manual
    // access team dan joined above, now that dan holds Read (through the group team's role).
    assert.deepEqual(await visibleTo(dan), ['Ann Co', 'Group Co'])
    await assert.rejects(visibleTo(await callerOf('dan')), { code: 'FORBIDDEN' })
  })
})
