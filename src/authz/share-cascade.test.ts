import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'
import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { grantAccess } from './grant-access.ts'
import { loadSecurityContext } from './load-security-context.ts'
import { ACCESS_RIGHT_MASK } from './privileges.ts'
import { recordAccess } from './record-access.ts'
import { revokeAccess } from './revoke-access.ts'
import { securityRowsOf } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

const READ = ACCESS_RIGHT_MASK.Read
const WRITE = ACCESS_RIGHT_MASK.Write
/** Read, Write, Append, AppendTo, Delete, Share, Assign (Dataverse's share to the previous owner). */
const FULL = 1 | 2 | 4 | 16 | 65536 | 262144 | 524288

describe('share cascades, Assign cascades and share to the previous owner (docs/authz.md §14)', () => {
  let f: RecordsFixture
  let deps: SharingDeps
  const users: Record<string, string> = {}
  const actor = (): { actorId: string } => ({ actorId: f.ids.systemUserId })
  const user = (name: string): string => users[name] ?? ''

  const callerOf = async (name: string): Promise<Caller> => {
    const loaded = await loadSecurityContext(securityRowsOf(f.service, f.env), {
      systemUserId: user(name),
      businessUnitId: f.ids.businessUnitId,
    })
    return {
      systemUserId: user(name),
      businessUnitId: f.ids.businessUnitId,
      roles: loaded.roleNames,
      security: loaded.security,
    }
  }
  /** The names of `table` the caller reads through the SQL scope. */
  const visible = async (name: string, table: string, operation: 'query' = 'query') => {
    const caller = await callerOf(name)
    const def = await f.service.getTable(f.env, table)
    const scope = recordAccess(caller, def, operation)
    const column = def.primaryNameColumn
    const r = await f.service.queryRecords(
      f.env,
      table,
      { count: false, select: [column] },
      scope === undefined ? {} : { scope },
    )
    return r.records.map((x) => String(x[column])).sort()
  }
  /** [accessrightsmask, inheritedaccessrightsmask] of a record's share with a principal. */
  const masks = async (objectId: string, principal: string): Promise<[number, number]> => {
    const r = await f.service.queryRecords(
      f.env,
      'principalobjectaccess',
      {
        count: false,
        select: ['objectid', 'principalid', 'accessrightsmask', 'inheritedaccessrightsmask'],
      },
      {
        where: (eb) =>
          eb.and([
            eb(eb.ref('objectid'), '=', objectId),
            eb(eb.ref('principalid'), '=', principal),
          ]),
      },
    )
    const row = r.records[0]
    if (row === undefined) return [0, 0]
    return [Number(row['accessrightsmask']), Number(row['inheritedaccessrightsmask'])]
  }
  const account = (name: string, owner: string) =>
    f.service.createRecord(f.env, 'account', { name, ownerid: user(owner) }, actor())
  const contact = (lastname: string, owner: string, parent: string | null) =>
    f.service.createRecord(
      f.env,
      'contact',
      { lastname, ownerid: user(owner), parentcustomerid: parent },
      actor(),
    )
  const share = async (owner: string, table: string, id: string, to: string, mask: number) => {
    await grantAccess(deps, await callerOf(owner), table, id, {
      principalId: user(to),
      principalType: 'systemuser',
      accessMask: mask,
    })
  }
  const unshare = async (owner: string, table: string, id: string, from: string) => {
    await revokeAccess(deps, await callerOf(owner), table, id, user(from))
  }

  before(async () => {
    f = await createRecordsFixture()
    deps = { records: f.service, env: f.env }
    for (const name of ['ann', 'ben', 'cid']) {
      users[name] = await f.service.createRecord(
        f.env,
        'systemuser',
        { fullname: name, businessunitid: f.ids.businessUnitId },
        actor(),
      )
      await f.service.createRecord(
        f.env,
        'systemuserroles',
        { systemuserid: user(name), roleid: f.ids.basicUserRoleId },
        actor(),
      )
    }
  })
  after(async () => {
    await f.close()
  })

  it('sharing an account shares its contacts and theirs (Cascade All); unsharing removes only what was inherited', async () => {
    const acme = await account('Acme', 'ann')
    const c1 = await contact('Acme-1', 'ann', acme)
    await contact('Acme-1-child', 'ann', c1)
    await contact('Loose', 'ann', null)
    assert.deepEqual(await visible('ben', 'contact'), [])
    await share('ann', 'account', acme, 'ben', READ | WRITE)
    assert.deepEqual(await visible('ben', 'account'), ['Acme'])
    assert.deepEqual(await visible('ben', 'contact'), ['Acme-1', 'Acme-1-child'])
    assert.deepEqual(await masks(c1, user('ben')), [0, READ | WRITE])
    // A direct share of the child survives the parent's unshare; the inherited part goes.
    await share('ann', 'contact', c1, 'ben', READ)
    assert.deepEqual(await masks(c1, user('ben')), [READ, READ | WRITE])
    await unshare('ann', 'account', acme, 'ben')
    assert.deepEqual(await masks(c1, user('ben')), [READ, 0])
    // The grandchild inherits the child's direct share now.
    assert.deepEqual(await visible('ben', 'contact'), ['Acme-1', 'Acme-1-child'])
    await unshare('ann', 'contact', c1, 'ben')
    assert.deepEqual(await visible('ben', 'contact'), [])
    assert.deepEqual(await masks(c1, user('ben')), [0, 0])
  })

  it('a contact created under, or moved to, a shared account inherits its share; moved away or unlinked it loses it', async () => {
    const shared = await account('Shared', 'ann')
    const other = await account('Other', 'ann')
    await share('ann', 'account', shared, 'cid', READ)
    const born = await contact('Born-under', 'ann', shared)
    assert.deepEqual(await masks(born, user('cid')), [0, READ])
    const moved = await contact('Moved', 'ann', other)
    assert.deepEqual(await visible('cid', 'contact'), ['Born-under'])
    await f.service.updateRecord(f.env, 'contact', moved, { parentcustomerid: shared }, actor())
    assert.deepEqual(await visible('cid', 'contact'), ['Born-under', 'Moved'])
    await f.service.updateRecord(f.env, 'contact', moved, { parentcustomerid: other }, actor())
    assert.deepEqual(await visible('cid', 'contact'), ['Born-under'])
    // Deleting the parent clears the link (removeLink) and what came through it.
    await f.service.deleteRecord(f.env, 'account', shared, actor())
    assert.deepEqual(await visible('cid', 'contact'), [])
  })

  it('a cycle of parental lookups never keeps a revoked share alive', async () => {
    const a = await contact('Cycle-a', 'ann', null)
    const b = await contact('Cycle-b', 'ann', a)
    await f.service.updateRecord(f.env, 'contact', a, { parentcustomerid: b }, actor())
    await share('ann', 'contact', a, 'cid', READ)
    assert.deepEqual(await masks(b, user('cid')), [0, READ])
    assert.deepEqual(await masks(a, user('cid')), [READ, 0])
    await unshare('ann', 'contact', a, 'cid')
    assert.deepEqual(await masks(b, user('cid')), [0, 0])
    assert.deepEqual(await visible('cid', 'contact'), [])
  })

  it("a relationship's rule decides: none, userOwned and active on a custom table", async () => {
    await f.service.createTable(f.env, { name: 'project', ownership: 'user' })
    for (const [name, rule] of [
      ['accountnone', 'none'],
      ['accountowned', 'userOwned'],
      ['accountactive', 'active'],
    ] as const) {
      await f.service.addColumn(f.env, 'project', {
        name,
        type: 'lookup',
        options: { targets: ['account'], cascadeShare: rule, cascadeAssign: rule },
      })
    }
    const parent = await account('Rules', 'ann')
    const make = (name: string, owner: string, column: string) =>
      f.service.createRecord(
        f.env,
        'project',
        { name, ownerid: user(owner), [column]: parent },
        actor(),
      )
    const none = await make('none', 'ann', 'accountnone')
    const ownedSame = await make('owned-same', 'ann', 'accountowned')
    const ownedOther = await make('owned-other', 'cid', 'accountowned')
    const active = await make('active', 'ann', 'accountactive')
    const inactive = await make('inactive', 'ann', 'accountactive')
    await f.service.updateRecord(
      f.env,
      'project',
      inactive,
      { statecode: 1, statuscode: 2 },
      actor(),
    )
    await share('ann', 'account', parent, 'ben', READ)
    assert.deepEqual(await masks(none, user('ben')), [0, 0])
    assert.deepEqual(await masks(ownedSame, user('ben')), [0, READ])
    assert.deepEqual(await masks(ownedOther, user('ben')), [0, 0])
    assert.deepEqual(await masks(active, user('ben')), [0, READ])
    assert.deepEqual(await masks(inactive, user('ben')), [0, 0])
    // Assign follows the same rules: userOwned moves the previous owner's children only.
    await f.service.updateRecord(f.env, 'account', parent, { ownerid: user('ben') }, actor())
    const ownerOf = async (id: string) =>
      String(
        (await f.service.retrieveRecord(f.env, 'project', id, { select: ['ownerid'] }))['ownerid'],
      )
    assert.equal(await ownerOf(none), user('ann'))
    assert.equal(await ownerOf(ownedSame), user('ben'))
    assert.equal(await ownerOf(ownedOther), user('cid'))
    assert.equal(await ownerOf(active), user('ben'))
    assert.equal(await ownerOf(inactive), user('ann'))
  })

  it('refuses an unknown cascade rule', async () => {
    await assert.rejects(
      f.service.addColumn(f.env, 'project', {
        name: 'accountbad',
        type: 'lookup',
        options: { targets: ['account'], cascadeShare: 'sometimes' as never },
      }),
      (e) => e instanceof AppError && e.code === 'VALIDATION',
    )
  })

  it('Assign of an account assigns its contacts (Cascade All) with their owning business unit', async () => {
    const acct = await account('Assigned', 'ann')
    const mine = await contact('Assigned-ann', 'ann', acct)
    const theirs = await contact('Assigned-cid', 'cid', acct)
    const grand = await contact('Assigned-grand', 'ann', mine)
    await f.service.updateRecord(f.env, 'account', acct, { ownerid: user('ben') }, actor())
    for (const id of [mine, theirs, grand]) {
      const row = await f.service.retrieveRecord(f.env, 'contact', id, {
        select: ['ownerid', 'owningbusinessunit'],
      })
      assert.equal(row['ownerid'], user('ben'))
      assert.equal(row['owningbusinessunit'], f.ids.businessUnitId)
    }
    // Off by default: the previous owner keeps nothing.
    assert.deepEqual(await masks(acct, user('ann')), [0, 0])
    assert.ok(!(await visible('ann', 'account')).includes('Assigned'))
  })

  it('sharetopreviousowneronassign: the previous owner keeps a full-rights share (and the children inherit it); the setting bumps the security version', async () => {
    const before = await f.service.readSecurityVersion(f.env)
    await f.service.updateRecord(
      f.env,
      'organization',
      f.ids.organizationId,
      { sharetopreviousowneronassign: true },
      actor(),
    )
    assert.notEqual(await f.service.readSecurityVersion(f.env), before)
    const acct = await account('Handover', 'ann')
    const child = await contact('Handover-child', 'cid', acct)
    await f.service.updateRecord(f.env, 'account', acct, { ownerid: user('ben') }, actor())
    assert.deepEqual(await masks(acct, user('ann')), [FULL, 0])
    // The child was cid's: cid keeps a direct share of it, and inherits ann's via the account.
    assert.deepEqual(await masks(child, user('cid')), [FULL, 0])
    assert.deepEqual(await masks(child, user('ann')), [0, FULL])
    assert.ok((await visible('ann', 'account')).includes('Handover'))
    // Assigning back adds the share of the new previous owner; ann's direct one stays.
    await f.service.updateRecord(f.env, 'account', acct, { ownerid: user('ann') }, actor())
    assert.deepEqual(await masks(acct, user('ben')), [FULL, 0])
    await f.service.updateRecord(
      f.env,
      'organization',
      f.ids.organizationId,
      { sharetopreviousowneronassign: false },
      actor(),
    )
    const later = await account('No-handover', 'ann')
    await f.service.updateRecord(f.env, 'account', later, { ownerid: user('ben') }, actor())
    assert.deepEqual(await masks(later, user('ann')), [0, 0])
  })
})
