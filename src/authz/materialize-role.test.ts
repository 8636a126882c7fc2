import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'
import { AppError } from '../shared/errors.ts'
import { addPrivilegesRole } from './add-privileges-role.ts'
import type { Caller } from './caller.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { predefinedRoleByName } from './predefined-roles.ts'
import { BASIC, GLOBAL, LOCAL } from './privileges.ts'
import { recordAccess } from './record-access.ts'
import { replacePrivilegesRole } from './replace-privileges-role.ts'
import { retrieveRolePrivileges } from './retrieve-role-privileges.ts'
import { securityRowsOf } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

describe('ReplacePrivilegesRole / AddPrivilegesRole on a predefined role: materialised once', () => {
  let f: RecordsFixture
  let deps: SharingDeps
  let admin: Caller
  const roleId: Record<string, string> = {}

  const templateOf = async (name: string): Promise<unknown> =>
    (
      await f.service.retrieveRecord(f.env, 'role', roleId[name] ?? '', {
        select: ['roletemplateid'],
      })
    )['roletemplateid']
  const privileges = async (name: string): Promise<Map<string, number>> =>
    new Map(
      (await retrieveRolePrivileges(deps, admin, roleId[name] ?? '')).map((p) => [
        p.privilegeName,
        p.depth,
      ]),
    )

  before(async () => {
    f = await createRecordsFixture()
    deps = { records: f.service, env: f.env }
    admin = {
      systemUserId: f.ids.systemUserId,
      businessUnitId: f.ids.businessUnitId,
      roles: ['System Administrator'],
    }
    await f.service.createTable(f.env, { name: 'project', ownership: 'user' })
    const roles = await f.service.queryRecords(f.env, 'role', {
      count: false,
      select: ['name'],
    })
    for (const r of roles.records) roleId[String(r['name'])] = String(r['roleid'])
  })
  after(async () => {
    await f.close()
  })

  it('Replace on Basic User: the role becomes exactly the given rows, for its holders on the next resolution', async () => {
    assert.equal(typeof (await templateOf('Basic User')), 'string')
    await replacePrivilegesRole(deps, admin, roleId['Basic User'] ?? '', [
      { privilege: 'prvReadaccount', depth: LOCAL },
    ])
    assert.equal(await templateOf('Basic User'), null)
    assert.deepEqual([...(await privileges('Basic User'))], [['prvReadaccount', LOCAL]])
    const user = await f.service.createRecord(
      f.env,
      'systemuser',
      { fullname: 'Holder', businessunitid: f.ids.businessUnitId },
      { actorId: f.ids.systemUserId },
    )
    await f.service.createRecord(
      f.env,
      'systemuserroles',
      { systemuserid: user, roleid: roleId['Basic User'] },
      { actorId: f.ids.systemUserId },
    )
    const loaded = await loadSecurityContext(securityRowsOf(f.service, f.env), {
      systemUserId: user,
      businessUnitId: f.ids.businessUnitId,
    })
    const holder: Caller = {
      systemUserId: user,
      businessUnitId: f.ids.businessUnitId,
      roles: loaded.roleNames,
      security: loaded.security,
    }
    // Contacts are gone from the role; accounts are read at Business Unit depth.
    const contact = await f.service.getTable(f.env, 'contact')
    assert.throws(
      () => recordAccess(holder, contact, 'query'),
      (e) => e instanceof AppError && e.code === 'FORBIDDEN',
    )
    const scope = recordAccess(holder, await f.service.getTable(f.env, 'account'), 'query')
    assert.ok(scope !== undefined)
    const visible = await f.service.queryRecords(
      f.env,
      'account',
      { count: false, select: ['name'] },
      { scope },
    )
    assert.equal(visible.records.length, 0)
    // Materialised once: a second replace works on rows only.
    await replacePrivilegesRole(deps, admin, roleId['Basic User'] ?? '', [])
    assert.deepEqual([...(await privileges('Basic User'))], [])
  })

  it('Add on System Customizer: a wider depth adds to the rule (still predefined); a narrower one materialises it', async () => {
    const before = await privileges('System Customizer')
    assert.equal(before.get('prvReadproject'), GLOBAL)
    assert.equal(before.get('prvReadaccount'), BASIC)
    await addPrivilegesRole(deps, admin, roleId['System Customizer'] ?? '', [
      { privilege: 'prvReadaccount', depth: GLOBAL },
    ])
    assert.equal(
      await templateOf('System Customizer'),
      predefinedRoleByName('System Customizer')?.templateId,
    )
    assert.equal((await privileges('System Customizer')).get('prvReadaccount'), GLOBAL)
    await addPrivilegesRole(deps, admin, roleId['System Customizer'] ?? '', [
      { privilege: 'prvReadproject', depth: BASIC },
    ])
    assert.equal(await templateOf('System Customizer'), null)
    const after = await privileges('System Customizer')
    assert.equal(after.get('prvReadproject'), BASIC)
    // Everything else the rule gave is now stored, unchanged.
    assert.equal(after.get('prvWriteproject'), GLOBAL)
    assert.equal(after.get('prvReadaccount'), GLOBAL)
    assert.equal(after.get('prvReadsystemuser'), GLOBAL)
    assert.equal(after.size, before.size)
    // A table created now is not covered by the former template.
    await f.service.createTable(f.env, { name: 'later', ownership: 'user' })
    assert.equal((await privileges('System Customizer')).get('prvReadlater'), undefined)
  })

  it('Delegate keeps its task privilege when materialised; System Administrator and Support User stay fixed', async () => {
    await replacePrivilegesRole(deps, admin, roleId['Delegate'] ?? '', [
      { privilege: 'prvActOnBehalfOfAnotherUser', depth: GLOBAL },
      { privilege: 'prvReadcontact', depth: BASIC },
    ])
    const delegate = await privileges('Delegate')
    assert.equal(delegate.get('prvActOnBehalfOfAnotherUser'), GLOBAL)
    assert.equal(delegate.get('prvReadcontact'), BASIC)
    for (const name of ['System Administrator', 'Support User']) {
      for (const change of [replacePrivilegesRole, addPrivilegesRole]) {
        await assert.rejects(
          change(deps, admin, roleId[name] ?? '', [{ privilege: 'prvReadaccount', depth: GLOBAL }]),
          (e) => e instanceof AppError && e.code === 'VALIDATION',
        )
      }
      assert.equal(typeof (await templateOf(name)), 'string')
    }
    // A caller without prvWriterole changes nothing.
    const nobody: Caller = {
      systemUserId: f.ids.systemUserId,
      businessUnitId: f.ids.businessUnitId,
      roles: [],
    }
    await assert.rejects(
      replacePrivilegesRole(deps, nobody, roleId['Environment Maker'] ?? '', []),
      (e) => e instanceof AppError && e.code === 'FORBIDDEN',
    )
    assert.equal(typeof (await templateOf('Environment Maker')), 'string')
  })
})
