import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import type { AppError } from '../shared/errors.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'

describe('record create, retrieve, update, delete', () => {
  let f: RecordsFixture
  let actorId: string
  before(async () => {
    f = await createRecordsFixture()
    actorId = f.ids.systemUserId
  })
  after(async () => {
    await f.close()
  })

  const readCounter = () =>
    f.databases.use(f.env, async (db) => {
      const row = await db.selectFrom('_rowversion').select('value').executeTakeFirstOrThrow()
      return row['value']
    })

  it('creates with system columns set and reads it back', async () => {
    const id = await f.service.createRecord(
      f.env,
      'account',
      { name: 'Contoso Ltd', revenue: 1000.5, numberofemployees: 12, industrycode: 7 },
      { actorId },
    )
    const a = await f.service.retrieveRecord(f.env, 'accounts', id)
    assert.equal(a['accountid'], id)
    assert.equal(a['name'], 'Contoso Ltd')
    assert.equal(a['revenue'], 1000.5)
    assert.equal(a['createdby'], actorId)
    assert.equal(a['modifiedby'], actorId)
    assert.equal(a['ownerid'], actorId)
    assert.equal(a['owningbusinessunit'], f.ids.businessUnitId)
    assert.equal(a['createdon'], '2025-03-04T05:06:07Z')
    assert.equal(a['statecode'], 0)
    assert.equal(a['statuscode'], 1)
    assert.equal(typeof a['versionnumber'], 'number')
    assert.equal(a['description'], null)
  })

  it('retrieve with select returns those columns plus id and versionnumber', async () => {
    const id = await f.service.createRecord(f.env, 'account', { name: 'S' }, { actorId })
    const a = await f.service.retrieveRecord(f.env, 'account', id, { select: ['name'] })
    assert.deepEqual(Object.keys(a).sort(), ['accountid', 'name', 'versionnumber'])
    await assert.rejects(f.service.retrieveRecord(f.env, 'account', id, { select: ['nope'] }), {
      code: 'COLUMN_NOT_FOUND',
    })
  })

  it('accepts a client-supplied id (normalised) and refuses a duplicate', async () => {
    const id = randomUUID()
    const created = await f.service.createRecord(
      f.env,
      'account',
      { accountid: `{${id.toUpperCase()}}`, name: 'X' },
      { actorId },
    )
    assert.equal(created, id)
    const before = await readCounter()
    await assert.rejects(
      f.service.createRecord(f.env, 'account', { accountid: id, name: 'Y' }, { actorId }),
      { code: 'RECORD_DUPLICATE' },
    )
    assert.equal(await readCounter(), before)
  })

  it('refuses unknown columns, system columns and missing tables', async () => {
    const create = (data: Record<string, unknown>) =>
      f.service.createRecord(f.env, 'account', data, { actorId })
    await assert.rejects(create({ name: 'x', nosuch: 1 }), (e: AppError) => {
      assert.equal(e.code, 'COLUMN_NOT_FOUND')
      assert.match(e.message, /nosuch/)
      return true
    })
    await assert.rejects(create({ ['__proto__']: 1 }), { code: 'COLUMN_NOT_FOUND' })
    for (const column of [
      'createdon',
      'createdby',
      'modifiedby',
      'versionnumber',
      'owningbusinessunit',
    ]) {
      await assert.rejects(create({ [column]: null }), (e: AppError) => {
        assert.equal(e.code, 'RECORD_INVALID')
        assert.equal(e.details[0]?.path, column)
        return true
      })
    }
    await assert.rejects(f.service.createRecord(f.env, 'nosuch', { name: 'x' }, { actorId }), {
      code: 'TABLE_NOT_FOUND',
    })
    await assert.rejects(create(['x'] as unknown as Record<string, unknown>), {
      code: 'VALIDATION',
    })
  })

  it('refuses an actor that is not a user of the environment', async () => {
    await assert.rejects(
      f.service.createRecord(f.env, 'account', { name: 'x' }, { actorId: randomUUID() }),
      { code: 'VALIDATION' },
    )
  })

  it('sets an explicit owner (user or team) and its business unit', async () => {
    const id = await f.service.createRecord(
      f.env,
      'account',
      { name: 'Team owned', ownerid: f.ids.defaultTeamId },
      { actorId },
    )
    const a = await f.service.retrieveRecord(f.env, 'account', id)
    assert.equal(a['ownerid'], f.ids.defaultTeamId)
    assert.equal(a['owningbusinessunit'], f.ids.businessUnitId)
    await assert.rejects(
      f.service.createRecord(f.env, 'account', { ownerid: f.ids.businessUnitId }, { actorId }),
      (e: AppError) => e.code === 'RECORD_INVALID' && e.details[0]?.path === 'ownerid',
    )
    // An update of the owner (Assign; the right is authz's) moves the business unit with it.
    await f.service.updateRecord(f.env, 'account', id, { ownerid: actorId }, { actorId })
    const assigned = await f.service.retrieveRecord(f.env, 'account', id)
    assert.equal(assigned['ownerid'], actorId)
    assert.equal(assigned['owningbusinessunit'], f.ids.businessUnitId)
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, { ownerid: null }, { actorId }),
      (e: AppError) => e.code === 'RECORD_INVALID' && e.details[0]?.path === 'ownerid',
    )
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, { ownerid: f.ids.businessUnitId }, { actorId }),
      (e: AppError) => e.code === 'RECORD_INVALID' && e.details[0]?.path === 'ownerid',
    )
  })

  it('checks lookups point at existing records of an allowed table', async () => {
    const account = await f.service.createRecord(f.env, 'account', { name: 'P' }, { actorId })
    const contact = await f.service.createRecord(f.env, 'contact', { lastname: 'L' }, { actorId })
    const create = (data: Record<string, unknown>) =>
      f.service.createRecord(f.env, 'contact', data, { actorId })
    // Polymorphic: account or contact.
    const c1 = await create({ parentcustomerid: account })
    const c2 = await create({ parentcustomerid: contact })
    assert.ok(c1 !== c2)
    for (const bad of [randomUUID(), f.ids.defaultTeamId]) {
      await assert.rejects(create({ parentcustomerid: bad }), (e: AppError) => {
        assert.equal(e.code, 'RECORD_INVALID')
        assert.equal(e.details[0]?.path, 'parentcustomerid')
        return true
      })
    }
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', account, { primarycontactid: account }, { actorId }),
      { code: 'RECORD_INVALID' },
    )
  })

  it('composes contact fullname from first and last name', async () => {
    const id = await f.service.createRecord(
      f.env,
      'contact',
      { firstname: 'Ada', lastname: 'Lovelace' },
      { actorId },
    )
    const get = async () => (await f.service.retrieveRecord(f.env, 'contact', id))['fullname']
    assert.equal(await get(), 'Ada Lovelace')
    await f.service.updateRecord(f.env, 'contact', id, { firstname: 'Augusta' }, { actorId })
    assert.equal(await get(), 'Augusta Lovelace')
    await f.service.updateRecord(f.env, 'contact', id, { firstname: null }, { actorId })
    assert.equal(await get(), 'Lovelace')
    await f.service.updateRecord(f.env, 'contact', id, { fullname: 'Countess' }, { actorId })
    assert.equal(await get(), 'Countess')
    await f.service.updateRecord(f.env, 'contact', id, { jobtitle: 'Analyst' }, { actorId })
    assert.equal(await get(), 'Countess')
    const given = await f.service.createRecord(
      f.env,
      'contact',
      { firstname: 'A', lastname: 'B', fullname: 'Custom' },
      { actorId },
    )
    assert.equal((await f.service.retrieveRecord(f.env, 'contact', given))['fullname'], 'Custom')
  })

  it('updates: new versionnumber, modifiedon/by, strictly increasing versions', async () => {
    const id = await f.service.createRecord(f.env, 'account', { name: 'V' }, { actorId })
    const v0 = (await f.service.retrieveRecord(f.env, 'account', id))['versionnumber'] as number
    f.clock.advance(60_000)
    const v1 = await f.service.updateRecord(f.env, 'account', id, { name: 'V1' }, { actorId })
    const v2 = await f.service.updateRecord(f.env, 'account', id, {}, { actorId })
    assert.ok(v0 < v1 && v1 < v2)
    const a = await f.service.retrieveRecord(f.env, 'account', id)
    assert.equal(a['versionnumber'], v2)
    assert.equal(a['name'], 'V1')
    assert.equal(a['modifiedon'], '2025-03-04T05:07:07Z')
    assert.equal(a['createdon'], '2025-03-04T05:06:07Z')
    const other = await f.service.createRecord(f.env, 'contact', { lastname: 'Z' }, { actorId })
    const v3 = (await f.service.retrieveRecord(f.env, 'contact', other))['versionnumber'] as number
    assert.ok(v3 > v2)
  })

  it('optimistic concurrency: a stale ifVersion changes nothing', async () => {
    const id = await f.service.createRecord(f.env, 'account', { name: 'C' }, { actorId })
    const v0 = (await f.service.retrieveRecord(f.env, 'account', id))['versionnumber'] as number
    const v1 = await f.service.updateRecord(
      f.env,
      'account',
      id,
      { name: 'C1' },
      { actorId, ifVersion: v0 },
    )
    const counter = await readCounter()
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, { name: 'C2' }, { actorId, ifVersion: v0 }),
      { code: 'CONCURRENCY_MISMATCH' },
    )
    await assert.rejects(
      f.service.deleteRecord(f.env, 'account', id, { actorId, ifVersion: String(v0) }),
      { code: 'CONCURRENCY_MISMATCH' },
    )
    const a = await f.service.retrieveRecord(f.env, 'account', id)
    assert.equal(a['name'], 'C1')
    assert.equal(a['versionnumber'], v1)
    assert.equal(await readCounter(), counter)
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, {}, { actorId, ifVersion: 'W/"1"' }),
      { code: 'VALIDATION' },
    )
    await f.service.deleteRecord(f.env, 'account', id, { actorId, ifVersion: v1 })
  })

  it('state and status stay paired', async () => {
    const id = await f.service.createRecord(f.env, 'account', { name: 'S' }, { actorId })
    await f.service.updateRecord(f.env, 'account', id, { statecode: 1 }, { actorId })
    let a = await f.service.retrieveRecord(f.env, 'account', id)
    assert.deepEqual([a['statecode'], a['statuscode']], [1, 2])
    await f.service.updateRecord(f.env, 'account', id, { statuscode: 1 }, { actorId })
    a = await f.service.retrieveRecord(f.env, 'account', id)
    assert.deepEqual([a['statecode'], a['statuscode']], [0, 1])
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, { statecode: 0, statuscode: 2 }, { actorId }),
      (e: AppError) => e.code === 'RECORD_INVALID' && e.details[0]?.path === 'statuscode',
    )
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, { statecode: null }, { actorId }),
      (e: AppError) => e.code === 'RECORD_INVALID' && e.details[0]?.path === 'statecode',
    )
    await assert.rejects(
      f.service.updateRecord(f.env, 'account', id, { accountid: randomUUID() }, { actorId }),
      (e: AppError) => e.code === 'RECORD_INVALID' && e.details[0]?.path === 'accountid',
    )
  })

  it('update and delete of a missing record: RECORD_NOT_FOUND', async () => {
    const id = randomUUID()
    await assert.rejects(f.service.retrieveRecord(f.env, 'account', id), {
      code: 'RECORD_NOT_FOUND',
    })
    await assert.rejects(f.service.updateRecord(f.env, 'account', id, {}, { actorId }), {
      code: 'RECORD_NOT_FOUND',
    })
    await assert.rejects(f.service.deleteRecord(f.env, 'account', id, { actorId }), {
      code: 'RECORD_NOT_FOUND',
    })
    await assert.rejects(f.service.retrieveRecord(f.env, 'account', 'x; drop table account'), {
      code: 'VALIDATION',
    })
  })

  it('delete removes the record and clears links to it', async () => {
    const parent = await f.service.createRecord(f.env, 'account', { name: 'Parent' }, { actorId })
    const child = await f.service.createRecord(
      f.env,
      'account',
      { name: 'Child', parentaccountid: parent },
      { actorId },
    )
    const contact = await f.service.createRecord(
      f.env,
      'contact',
      { lastname: 'K', parentcustomerid: parent },
      { actorId },
    )
    const before = (await f.service.retrieveRecord(f.env, 'account', child))['versionnumber']
    await f.service.deleteRecord(f.env, 'account', parent, { actorId })
    await assert.rejects(f.service.retrieveRecord(f.env, 'account', parent), {
      code: 'RECORD_NOT_FOUND',
    })
    const c = await f.service.retrieveRecord(f.env, 'account', child)
    assert.equal(c['parentaccountid'], null)
    assert.ok((c['versionnumber'] as number) > (before as number))
    assert.equal(
      (await f.service.retrieveRecord(f.env, 'contact', contact))['parentcustomerid'],
      null,
    )
  })

  it('delete refuses records that restricted lookups still reference', async () => {
    await assert.rejects(f.service.deleteRecord(f.env, 'systemuser', actorId, { actorId }), {
      code: 'IN_USE',
    })
    await assert.rejects(
      f.service.deleteRecord(f.env, 'businessunit', f.ids.businessUnitId, { actorId }),
      { code: 'IN_USE' },
    )
    const role = await f.service.createRecord(
      f.env,
      'role',
      { name: 'Temp', businessunitid: f.ids.businessUnitId },
      { actorId },
    )
    await f.service.deleteRecord(f.env, 'role', role, { actorId })
  })

  it('stores SQL-looking values verbatim (sql-injection regression)', async () => {
    const evil = "x'); drop table account; --"
    const id = await f.service.createRecord(
      f.env,
      'account',
      { name: evil, description: '" OR 1=1 --' },
      { actorId },
    )
    const a = await f.service.retrieveRecord(f.env, 'account', id)
    assert.equal(a['name'], evil)
    assert.equal(a['description'], '" OR 1=1 --')
    await assert.rejects(
      f.service.createRecord(f.env, 'account; drop table account', {}, { actorId }),
      { code: 'TABLE_NOT_FOUND' },
    )
  })

  it('concurrent conditional updates: exactly one wins', async () => {
    const id = await f.service.createRecord(f.env, 'account', { name: 'Race' }, { actorId })
    const v = (await f.service.retrieveRecord(f.env, 'account', id))['versionnumber'] as number
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        f.service.updateRecord(f.env, 'account', id, { name: `R${i}` }, { actorId, ifVersion: v }),
      ),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    assert.equal(won.length, 1)
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'CONCURRENCY_MISMATCH')
    }
  })

  it('a failed write inside a multi-statement transaction leaves nothing behind', async () => {
    const counter = await readCounter()
    const id = randomUUID()
    // The scope refuses every row, so the insert (after the version bump) is rolled back.
    await assert.rejects(
      f.service.createRecord(
        f.env,
        'account',
        { accountid: id, name: 'Ghost' },
        { actorId, scope: { where: () => sql<boolean>`0` } },
      ),
      { code: 'RECORD_INVALID' },
    )
    assert.equal(await readCounter(), counter)
    await assert.rejects(f.service.retrieveRecord(f.env, 'account', id), {
      code: 'RECORD_NOT_FOUND',
    })
  })
})
