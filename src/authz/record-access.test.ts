import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TableDef } from '../records/index.ts'
import type { Caller } from './caller.ts'
import {
  BASIC_USER,
  DELEGATE,
  ENVIRONMENT_MAKER,
  PREDEFINED_ROLES,
  SUPPORT_USER,
  SYSTEM_ADMINISTRATOR,
  SYSTEM_CUSTOMIZER,
} from './predefined-roles.ts'
import { recordAccess } from './record-access.ts'

const table = (name: string, ownership: 'user' | 'organization', system = false): TableDef => ({
  name,
  entitySetName: `${name}s`,
  displayName: name,
  ownership,
  primaryIdColumn: `${name}id`,
  primaryNameColumn: 'name',
  system,
  columns: [],
})
const ACCOUNT = table('account', 'user')
const CUSTOM_USER = table('new_project', 'user')
const CUSTOM_ORG = table('new_setting', 'organization')
const BUSINESS_UNIT = table('businessunit', 'organization', true)
const caller = (roles: string[]): Caller => ({
  systemUserId: '00000000-0000-0000-0000-00000000000a',
  businessUnitId: '00000000-0000-0000-0000-00000000000b',
  roles,
})
const OPS = ['create', 'retrieve', 'update', 'delete', 'query'] as const
type Outcome = 'all' | 'scoped' | 'forbidden'
const outcome = (roles: string[], t: TableDef, op: (typeof OPS)[number]): Outcome => {
  try {
    return recordAccess(caller(roles), t, op) === undefined ? 'all' : 'scoped'
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'FORBIDDEN')
    return 'forbidden'
  }
}
/** The outcome of each operation, in OPS order (create, retrieve, update, delete, query). */
const row = (roles: string[], t: TableDef): Outcome[] => OPS.map((op) => outcome(roles, t, op))

describe('recordAccess: every predefined role on a user-owned and an organization-owned table', () => {
  const all: Outcome[] = ['all', 'all', 'all', 'all', 'all']
  const none: Outcome[] = ['forbidden', 'forbidden', 'forbidden', 'forbidden', 'forbidden']
  const own: Outcome[] = ['scoped', 'scoped', 'scoped', 'scoped', 'scoped']
  const readAll: Outcome[] = ['forbidden', 'all', 'forbidden', 'forbidden', 'all']
  const cases: [string, TableDef, Outcome[]][] = [
    [SYSTEM_ADMINISTRATOR, ACCOUNT, all],
    [SYSTEM_ADMINISTRATOR, CUSTOM_USER, all],
    [SYSTEM_ADMINISTRATOR, CUSTOM_ORG, all],
    [SYSTEM_ADMINISTRATOR, BUSINESS_UNIT, all],
    [SYSTEM_CUSTOMIZER, ACCOUNT, own],
    [SYSTEM_CUSTOMIZER, CUSTOM_USER, all],
    [SYSTEM_CUSTOMIZER, CUSTOM_ORG, all],
    [SYSTEM_CUSTOMIZER, BUSINESS_UNIT, readAll],
    [BASIC_USER, ACCOUNT, own],
    [BASIC_USER, CUSTOM_USER, none],
    [BASIC_USER, CUSTOM_ORG, none],
    [BASIC_USER, BUSINESS_UNIT, readAll],
    [ENVIRONMENT_MAKER, ACCOUNT, none],
    [ENVIRONMENT_MAKER, CUSTOM_ORG, none],
    [ENVIRONMENT_MAKER, BUSINESS_UNIT, readAll],
    [DELEGATE, ACCOUNT, none],
    [DELEGATE, BUSINESS_UNIT, none],
    [SUPPORT_USER, ACCOUNT, readAll],
    [SUPPORT_USER, CUSTOM_ORG, readAll],
  ]
  for (const [role, t, expected] of cases) {
    it(`${role} on ${t.name} (${t.ownership}-owned)`, () => {
      assert.deepEqual(row([role], t), expected)
    })
  }

  it('covers every predefined role', () => {
    assert.deepEqual(new Set(cases.map(([r]) => r)), new Set(PREDEFINED_ROLES.map((r) => r.name)))
  })

  it('roles are cumulative: the union wins', () => {
    assert.deepEqual(row([BASIC_USER, SUPPORT_USER], ACCOUNT), [
      'scoped',
      'all',
      'scoped',
      'scoped',
      'all',
    ])
  })

  it('no role, or an unknown one: every operation is refused with the privilege named', () => {
    assert.deepEqual(row([], ACCOUNT), none)
    assert.throws(() => recordAccess(caller(['Unknown Role']), ACCOUNT, 'update'), {
      code: 'FORBIDDEN',
      message:
        'Principal user (Id=00000000-0000-0000-0000-00000000000a) is missing prvWriteaccount privilege.',
    })
  })
})
