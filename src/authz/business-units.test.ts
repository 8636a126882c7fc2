import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRecordsFixture, type RecordsFixture } from '../records/internal/records-fixture.ts'
import type { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { CYCLE_MESSAGE } from './business-unit-support.ts'
import { createBusinessUnit } from './create-business-unit.ts'
import { deleteBusinessUnit } from './delete-business-unit.ts'
import { moveBusinessUnit } from './move-business-unit.ts'
import { BASIC_USER, SYSTEM_ADMINISTRATOR } from './predefined-roles.ts'

describe('business unit administration (create, move, delete)', () => {
  let f: RecordsFixture
  let admin: Caller
  let basic: Caller
  const deps = () => ({ records: f.service, env: f.env })
  const unitsNamed = async (name: string) =>
    (
      await f.service.queryRecords(
        f.env,
        'businessunit',
        { count: false, select: ['businessunitid', 'name', 'parentbusinessunitid'] },
        { limit: 1000 },
      )
    ).records.filter((r) => r['name'] === name)
  const teamsOf = async (bu: string) =>
    (
      await f.service.queryRecords(
        f.env,
        'team',
        { count: false, select: ['teamid', 'name', 'businessunitid', 'isdefault'] },
        { limit: 1000 },
      )
    ).records.filter((r) => r['businessunitid'] === bu)

  before(async () => {
    f = await createRecordsFixture()
    admin = {
      systemUserId: f.ids.systemUserId,
      businessUnitId: f.ids.businessUnitId,
      roles: [SYSTEM_ADMINISTRATOR],
    }
    basic = { ...admin, roles: [BASIC_USER] }
  })
  after(async () => {
    await f.close()
  })

  it('create: the unit and its default team in one transaction; privilege and parent checked', async () => {
    const { id, defaultTeamId } = await createBusinessUnit(deps(), admin, {
      name: 'Sales',
      parentId: f.ids.businessUnitId,
    })
    const [sales] = await unitsNamed('Sales')
    assert.equal(sales?.['businessunitid'], id)
    assert.equal(sales['parentbusinessunitid'], f.ids.businessUnitId)
    const teams = await teamsOf(id)
    assert.deepEqual(
      teams.map((t) => [t['teamid'], t['name'], t['isdefault']]),
      [[defaultTeamId, 'Sales', true]],
    )
    await assert.rejects(
      createBusinessUnit(deps(), basic, { name: 'Nope', parentId: f.ids.businessUnitId }),
      (e: AppError) => e.code === 'FORBIDDEN' && /prvCreatebusinessunit/.test(e.message),
    )
    await assert.rejects(
      createBusinessUnit(deps(), admin, {
        name: 'Orphan',
        parentId: '00000000-0000-4000-8000-000000000009',
      }),
      { code: 'RECORD_NOT_FOUND' },
    )
    assert.deepEqual(await unitsNamed('Orphan'), [])
  })

  it('move: a clean cycle error, the root stays, a legal move applies', async () => {
    const a = (
      await createBusinessUnit(deps(), admin, { name: 'A', parentId: f.ids.businessUnitId })
    ).id
    const b = (await createBusinessUnit(deps(), admin, { name: 'B', parentId: a })).id
    for (const [unit, parent] of [
      [a, b],
      [a, a],
    ] as const) {
      await assert.rejects(moveBusinessUnit(deps(), admin, unit, parent), (e: AppError) => {
        assert.equal(e.code, 'RECORD_INVALID')
        assert.equal(e.message, CYCLE_MESSAGE)
        assert.equal(e.details[0]?.path, 'parentbusinessunitid')
        return true
      })
    }
    await assert.rejects(moveBusinessUnit(deps(), admin, f.ids.businessUnitId, a), {
      code: 'RECORD_INVALID',
    })
    await assert.rejects(moveBusinessUnit(deps(), basic, b, f.ids.businessUnitId), {
      code: 'FORBIDDEN',
    })
    await moveBusinessUnit(deps(), admin, b, f.ids.businessUnitId)
    assert.equal((await unitsNamed('B'))[0]?.['parentbusinessunitid'], f.ids.businessUnitId)
  })

  it('delete: refused while it has child units, users or other teams; then with its default team', async () => {
    const parent = (
      await createBusinessUnit(deps(), admin, { name: 'P', parentId: f.ids.businessUnitId })
    ).id
    const child = (await createBusinessUnit(deps(), admin, { name: 'C', parentId: parent })).id
    const refused = async (pattern: RegExp) =>
      assert.rejects(deleteBusinessUnit(deps(), admin, parent), (e: AppError) => {
        assert.equal(e.code, 'IN_USE')
        assert.match(e.message, pattern)
        return true
      })
    await refused(/1 child unit\(s\), 0 user\(s\) and 0 team\(s\)/)
    await deleteBusinessUnit(deps(), admin, child)
    assert.deepEqual(await teamsOf(child), [])
    const actor = { actorId: f.ids.systemUserId }
    const user = await f.service.createRecord(
      f.env,
      'systemuser',
      { fullname: 'U', businessunitid: parent },
      actor,
    )
    await refused(/0 child unit\(s\), 1 user\(s\)/)
    await f.service.deleteRecord(f.env, 'systemuser', user, actor)
    const team = await f.service.createRecord(
      f.env,
      'team',
      { name: 'Other', teamtype: 0, businessunitid: parent },
      actor,
    )
    await refused(/1 team\(s\) besides its default team/)
    await f.service.deleteRecord(f.env, 'team', team, actor)
    await assert.rejects(deleteBusinessUnit(deps(), basic, parent), { code: 'FORBIDDEN' })
    await assert.rejects(deleteBusinessUnit(deps(), admin, f.ids.businessUnitId), {
      code: 'RECORD_INVALID',
    })
    await deleteBusinessUnit(deps(), admin, parent)
    assert.deepEqual(await unitsNamed('P'), [])
    assert.deepEqual(await teamsOf(parent), [])
  })
})
