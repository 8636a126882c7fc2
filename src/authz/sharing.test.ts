import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'
import type { Caller } from './caller.ts'
import { grantAccess } from './grant-access.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { modifyAccess } from './modify-access.ts'
import { ACCESS_RIGHT_MASK, ALL_ACCESS_RIGHTS } from './privileges.ts'
import { recordAccess } from './record-access.ts'
import { retrievePrincipalAccess } from './retrieve-principal-access.ts'
import { retrieveSharedPrincipalsAndAccess } from './retrieve-shared-principals-and-access.ts'
import { revokeAccess } from './revoke-access.ts'
import { securityRowsOf } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

const READ = ACCESS_RIGHT_MASK.Read
const WRITE = ACCESS_RIGHT_MASK.Write
const SHARE = ACCESS_RIGHT_MASK.Share

describe('sharing: GrantAccess, ModifyAccess, RevokeAccess, RetrieveSharedPrincipalsAndAccess, RetrievePrincipalAccess', () => {
  let f: RecordsFixture
  let deps: SharingDeps
  const users: Record<string, string> = {}
  let ann: Caller
  let ben: Caller
  let cid: Caller
  let annAccount = ''
  let benAccount = ''

  const callerOf = async (name: string): Promise<Caller> => {
    const systemUserId = users[name] ?? ''
    const loaded = await loadSecurityContext(securityRowsOf(f.service, f.env), {
      systemUserId,
      businessUnitId: f.ids.businessUnitId,
    })
    return {
      systemUserId,
      businessUnitId: f.ids.businessUnitId,
      roles: loaded.roleNames,
      security: loaded.security,
    }
  }
  const visibleTo = async (caller: Caller): Promise<string[]> => {
    const table = await f.service.getTable(f.env, 'account')
    const scope = recordAccess(caller, table, 'query')
    const r = await f.service.queryRecords(
      f.env,
      'account',
      { count: false, select: ['name'] },
      scope === undefined ? {} : { scope },
    )
    return r.records.map((x) => String(x['name'])).sort()
  }

  before(async () => {
    f = await createRecordsFixture()
    deps = { records: f.service, env: f.env }
    const actor = { actorId: f.ids.systemUserId }
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
    benAccount = await f.service.createRecord(
      f.env,
      'account',
      { name: 'Ben Co', ownerid: users['ben'] },
      actor,
    )
    ann = await callerOf('ann')
    ben = await callerOf('ben')
    cid = await callerOf('cid')
  })
  after(async () => {
    await f.close()
  })

  it('a share makes the record visible to the principal, with exactly the shared rights', async () => {
    assert.deepEqual(await visibleTo(ben), ['Ben Co'])
    await grantAccess(deps, ann, 'account', annAccount, {
      principalId: users['ben'] ?? '',
      principalType: 'systemuser',
      accessMask: READ,
    })
    assert.deepEqual(await visibleTo(ben), ['Ann Co', 'Ben Co'])
    assert.equal(
      await retrievePrincipalAccess(deps, ann, 'account', annAccount, users['ben'] ?? ''),
      READ,
    )
    assert.equal(
      await retrievePrincipalAccess(deps, ann, 'account', annAccount, users['ann'] ?? ''),
      ALL_ACCESS_RIGHTS,
    )
    assert.deepEqual(await retrieveSharedPrincipalsAndAccess(deps, ben, 'account', annAccount), [
      { principalId: users['ben'], principalType: 'systemuser', accessMask: READ },
    ])
  })

  it('update/delete: a readable record without Write is 403 0x80048306, an unreadable one 404', async () => {
    const account = await f.service.getTable(f.env, 'account')
    const write = recordAccess(ben, account, 'update')
    const remove = recordAccess(ben, account, 'delete')
    const actor = { actorId: users['ben'] ?? '' }
    // ben reads Ann Co through the share, but may not change or delete it.
    await assert.rejects(
      f.service.updateRecord(
        f.env,
        'account',
        annAccount,
        { name: 'x' },
        { ...actor, ...(write ? { scope: write } : {}) },
      ),
      {
        code: 'RECORD_ACCESS_DENIED',
        message: `Principal user (Id=${users['ben'] ?? ''}) does not have WriteAccess right(s) for this account record.`,
      },
    )
    await assert.rejects(
      f.service.deleteRecord(f.env, 'account', annAccount, {
        ...actor,
        ...(remove ? { scope: remove } : {}),
      }),
      { code: 'RECORD_ACCESS_DENIED', message: /DeleteAccess/ },
    )
    // cid can't read Ann Co (yet): not found, as if it didn't exist.
    const cidWrite = recordAccess(cid, account, 'update')
    await assert.rejects(
      f.service.updateRecord(
        f.env,
        'account',
        annAccount,
        { name: 'x' },
        { actorId: users['cid'] ?? '', ...(cidWrite ? { scope: cidWrite } : {}) },
      ),
      { code: 'RECORD_NOT_FOUND' },
    )
  })

  it('a record the caller cannot see is not found; a right it lacks is 0x80048306', async () => {
    await assert.rejects(
      grantAccess(deps, ann, 'account', benAccount, {
        principalId: users['cid'] ?? '',
        principalType: 'systemuser',
        accessMask: READ,
      }),
      { code: 'RECORD_NOT_FOUND' },
    )
    // ben reads Ann Co through the share but can't share it onward.
    await assert.rejects(
      grantAccess(deps, ben, 'account', annAccount, {
        principalId: users['cid'] ?? '',
        principalType: 'systemuser',
        accessMask: READ,
      }),
      {
        code: 'RECORD_ACCESS_DENIED',
        message: `Principal user (Id=${users['ben'] ?? ''}) does not have ShareAccess right(s) for record (Id=${annAccount}) of table account.`,
      },
    )
    // With Share added, ben can pass on Read, but not Write, which he doesn't hold.
    await grantAccess(deps, ann, 'account', annAccount, {
      principalId: users['ben'] ?? '',
      principalType: 'systemuser',
      accessMask: SHARE,
    })
    assert.equal(
      await retrievePrincipalAccess(deps, ann, 'account', annAccount, users['ben'] ?? ''),
      READ | SHARE,
    )
    await assert.rejects(
      grantAccess(deps, ben, 'account', annAccount, {
        principalId: users['cid'] ?? '',
        principalType: 'systemuser',
        accessMask: WRITE,
      }),
      { code: 'RECORD_ACCESS_DENIED', message: /WriteAccess/ },
    )
    await grantAccess(deps, ben, 'account', annAccount, {
      principalId: users['cid'] ?? '',
      principalType: 'systemuser',
      accessMask: READ,
    })
    assert.deepEqual(await visibleTo(cid), ['Ann Co'])
  })

  it('ModifyAccess replaces the mask; RevokeAccess removes the share, and again is a no-op', async () => {
    await modifyAccess(deps, ann, 'account', annAccount, {
      principalId: users['ben'] ?? '',
      principalType: 'systemuser',
      accessMask: READ | WRITE,
    })
    assert.equal(
      await retrievePrincipalAccess(deps, ann, 'account', annAccount, users['ben'] ?? ''),
      READ | WRITE,
    )
    await revokeAccess(deps, ann, 'account', annAccount, users['ben'] ?? '')
    await revokeAccess(deps, ann, 'account', annAccount, users['ben'] ?? '')
    assert.deepEqual(await visibleTo(ben), ['Ben Co'])
    assert.deepEqual(
      (await retrieveSharedPrincipalsAndAccess(deps, ann, 'account', annAccount)).map(
        (s) => s.principalId,
      ),
      [users['cid']],
    )
  })

  it('a share to the organization reaches every user holding the privilege, not one without', async () => {
    await grantAccess(deps, ann, 'account', annAccount, {
      principalId: f.ids.organizationId,
      principalType: 'organization',
      accessMask: READ,
    })
    assert.deepEqual(await visibleTo(ben), ['Ann Co', 'Ben Co'])
    const dan = await callerOf('dan')
    const account = await f.service.getTable(f.env, 'account')
    assert.throws(() => recordAccess(dan, account, 'query'), { code: 'FORBIDDEN' })
    await revokeAccess(deps, ann, 'account', annAccount, f.ids.organizationId)
    assert.deepEqual(await visibleTo(ben), ['Ben Co'])
  })

  it('refuses bad input: mask, principal, organization-owned table, no privilege', async () => {
    const share = (accessMask: number, principalId = users['ben'] ?? '') =>
      grantAccess(deps, ann, 'account', annAccount, {
        principalId,
        principalType: 'systemuser',
        accessMask,
      })
    await assert.rejects(share(0), { code: 'VALIDATION' })
    await assert.rejects(share(8), { code: 'VALIDATION' })
    await assert.rejects(share(READ, '00000000-0000-0000-0000-0000000000ff'), {
      code: 'VALIDATION',
    })
    await assert.rejects(
      grantAccess(deps, ann, 'businessunit', f.ids.businessUnitId, {
        principalId: users['ben'] ?? '',
        principalType: 'systemuser',
        accessMask: READ,
      }),
      { code: 'VALIDATION' },
    )
    const dan = await callerOf('dan')
    await assert.rejects(retrieveSharedPrincipalsAndAccess(deps, dan, 'account', annAccount), {
      code: 'FORBIDDEN',
    })
  })
})
