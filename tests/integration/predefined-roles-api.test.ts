import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Caller } from '../../src/api/context.ts'
import { loadSecurityContext, securityRowsOf } from '../../src/authz/index.ts'
import { odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

type Op = 'create' | 'list' | 'get' | 'update'
const OPS: readonly Op[] = ['create', 'list', 'get', 'update']

/** Expected HTTP status per operation, in OPS order; null: not asked (see below). */
type Row = readonly (number | null)[]
const ALL: Row = [204, 200, 200, 204]
const OWN: Row = [204, 200, 404, 404] // create their own; another user's record is invisible
const NONE: Row = [403, 403, 403, 403]
const READ: Row = [null, 200, 200, 403]
const ADMIN_BU: Row = [null, 200, 200, 204]
const NO_BU: Row = [null, 403, 403, 403]

/**
 * Every predefined role's behaviour on a user-owned table (account), an organization-owned
 * custom table and an organization-owned system table (businessunit), through the Web API
 * handler with callers resolved exactly as the server resolves them (issue #5: "every
 * predefined role's behaviour on a user-owned and an organization-owned table"). The records
 * read and written belong to SYSTEM, not to the caller. Support User is stored as assigned
 * (bypassing assignRole, which refuses it): as a service-only role it grants nothing. Business
 * units are created through createBusinessUnit (POST is tested in authz-odata).
 */
const CASES: readonly [string, Readonly<Record<string, Row>>][] = [
  ['System Administrator', { accounts: ALL, new_settings: ALL, businessunits: ADMIN_BU }],
  ['System Customizer', { accounts: OWN, new_settings: ALL, businessunits: READ }],
  ['Basic User', { accounts: OWN, new_settings: NONE, businessunits: READ }],
  ['Environment Maker', { accounts: NONE, new_settings: NONE, businessunits: READ }],
  ['Delegate', { accounts: NONE, new_settings: NONE, businessunits: NO_BU }],
  ['Support User', { accounts: NONE, new_settings: NONE, businessunits: NO_BU }],
]

describe('every predefined role × table × operation through the Web API', () => {
  let f: ODataFixture
  const callers: Record<string, Caller> = {}
  const theirs: Record<string, string> = {}

  before(async () => {
    f = await odataFixture()
    const env = f.env.id
    const actor = { actorId: f.ids.systemUserId }
    await f.app.records.createTable(env, { name: 'new_setting', ownership: 'organization' })
    theirs['accounts'] = await f.app.records.createRecord(
      env,
      'account',
      { name: 'SYSTEM Co' },
      actor,
    )
    theirs['new_settings'] = await f.app.records.createRecord(
      env,
      'new_setting',
      { name: 'Setting' },
      actor,
    )
    theirs['businessunits'] = f.ids.businessUnitId
    const roles = await f.app.records.queryRecords(env, 'role', { count: false, select: ['name'] })
    for (const [name] of CASES) {
      const role = roles.records.find((r) => r['name'] === name)
      assert.ok(role !== undefined, name)
      const user = await f.app.records.createRecord(
        env,
        'systemuser',
        { fullname: name, businessunitid: f.ids.businessUnitId },
        actor,
      )
      await f.app.records.createRecord(
        env,
        'systemuserroles',
        { systemuserid: user, roleid: role['roleid'] },
        actor,
      )
      const { security, roleNames } = await loadSecurityContext(
        securityRowsOf(f.app.records, env),
        { systemUserId: user, businessUnitId: f.ids.businessUnitId },
      )
      callers[name] = {
        systemUserId: user,
        businessUnitId: f.ids.businessUnitId,
        roles: roleNames,
        security,
      }
    }
  })
  after(async () => {
    await f.close()
  })

  const ask = async (caller: Caller, set: string, op: Op): Promise<number> => {
    const id = theirs[set] ?? ''
    switch (op) {
      case 'create':
        return (await f.call('POST', set, { body: { name: 'Mine' }, caller })).status
      case 'list':
        return (await f.call('GET', set, { query: { $select: 'name' }, caller })).status
      case 'get':
        return (await f.call('GET', `${set}(${id})`, { query: { $select: 'name' }, caller })).status
      case 'update':
        return (await f.call('PATCH', `${set}(${id})`, { body: { name: 'Renamed' }, caller }))
          .status
    }
  }

  for (const [role, tables] of CASES) {
    for (const [set, expected] of Object.entries(tables)) {
      it(`${role} on ${set}: ${OPS.map((op, i) => `${op} ${String(expected[i] ?? '-')}`).join(', ')}`, async () => {
        const caller = callers[role]
        assert.ok(caller !== undefined)
        const got = []
        for (const [i, op] of OPS.entries()) {
          got.push(expected[i] === null ? null : await ask(caller, set, op))
        }
        assert.deepEqual(got, expected)
      })
    }
  }
})
