import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Caller } from './caller.ts'
import type { TableDef } from '../records/index.ts'
import { BASIC_USER, recordAccess, SYSTEM_ADMINISTRATOR } from './record-access.ts'

const table = (ownership: 'user' | 'organization'): TableDef => ({
  name: 'account',
  entitySetName: 'accounts',
  displayName: 'Account',
  ownership,
  primaryIdColumn: 'accountid',
  primaryNameColumn: 'name',
  system: false,
  columns: [],
})
const caller = (roles: string[]): Caller => ({
  systemUserId: '00000000-0000-0000-0000-00000000000a',
  businessUnitId: '00000000-0000-0000-0000-00000000000b',
  roles,
})
const OPS = ['create', 'retrieve', 'update', 'delete', 'query'] as const

describe('recordAccess (interim two-role model)', () => {
  it('System Administrator: no scope for any operation on any table', () => {
    for (const o of ['user', 'organization'] as const) {
      for (const op of OPS)
        assert.equal(recordAccess(caller([SYSTEM_ADMINISTRATOR]), table(o), op), undefined)
    }
  })

  it('Basic User: own rows of user-owned tables', () => {
    for (const op of OPS) assert.ok(recordAccess(caller([BASIC_USER]), table('user'), op))
  })

  it('Basic User: read-only on organization-owned tables', () => {
    assert.equal(recordAccess(caller([BASIC_USER]), table('organization'), 'retrieve'), undefined)
    assert.equal(recordAccess(caller([BASIC_USER]), table('organization'), 'query'), undefined)
    for (const op of ['create', 'update', 'delete'] as const) {
      assert.throws(() => recordAccess(caller([BASIC_USER]), table('organization'), op), {
        code: 'FORBIDDEN',
      })
    }
  })

  it('no role: every operation is refused with the privilege named', () => {
    for (const op of OPS) {
      assert.throws(() => recordAccess(caller([]), table('user'), op), { code: 'FORBIDDEN' })
    }
    assert.throws(() => recordAccess(caller(['Unknown Role']), table('user'), 'update'), {
      message: /missing prvWriteaccount privilege/,
    })
  })
})
