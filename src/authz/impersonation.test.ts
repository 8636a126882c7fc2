import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ColumnDef, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import { actingAlone, actorOf, type Caller } from './caller.ts'
import { columnAccess, isSystemAdministrator } from './column-access.ts'
import { requireTaskPrivilege } from './has-task-privilege.ts'
import { recordAccess, rightAccess } from './record-access.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'
import type { FieldPermission } from './security-context.ts'

// Impersonation decisions (docs/authz.md §8) on hand-built callers: the acting (impersonated)
// user carries the real caller as `impersonator`; every decision is the intersection.

const col = (name: string, secured = false): ColumnDef => ({
  name,
  type: 'string',
  displayName: name,
  required: false,
  system: false,
  options: secured ? { maxLength: 10, secured: true } : { maxLength: 10 },
})
const ACCOUNT: TableDef = {
  name: 'account',
  entitySetName: 'accounts',
  displayName: 'Account',
  ownership: 'user',
  primaryIdColumn: 'accountid',
  primaryNameColumn: 'name',
  system: false,
  columns: [col('accountid'), col('name'), col('secret', true), col('salary', true)],
}
const CONTACT: TableDef = { ...ACCOUNT, name: 'contact', primaryIdColumn: 'contactid' }

const user = (
  id: string,
  roles: string[],
  permissions: Record<string, FieldPermission> = {},
): Caller => {
  const base: Caller = { systemUserId: id, businessUnitId: 'b1', roles }
  return {
    ...base,
    security: {
      ...securityFromRoleNames(base),
      fieldPermissions: new Map(Object.entries(permissions)),
    },
  }
}
const failure = (fn: () => unknown): AppError => {
  try {
    fn()
  } catch (e) {
    if (e instanceof AppError) return e
    throw e
  }
  assert.fail('expected an AppError')
}
const ALL = { read: true, create: true, update: true }

describe('impersonation: intersected decisions', () => {
  const admin = user('admin', ['System Administrator'])
  const basic = user('basic', ['Basic User'])
  const delegate = user('delegate', ['Delegate'])

  it('record scope: Organization ∩ Basic is Basic; Basic ∩ Organization too', () => {
    assert.equal(recordAccess(admin, ACCOUNT, 'query'), undefined)
    const a = recordAccess({ ...basic, impersonator: admin }, ACCOUNT, 'query')
    const b = recordAccess({ ...admin, impersonator: basic }, ACCOUNT, 'query')
    assert.ok(a !== undefined && b !== undefined)
    // Both ways keep update's 403-vs-404 decision (denied, readable).
    const u = recordAccess({ ...basic, impersonator: admin }, ACCOUNT, 'update')
    assert.ok(u?.denied !== undefined && u.readable !== undefined)
  })

  it('a privilege the real caller lacks is 403 naming the real caller; the acting one, it', () => {
    const real = failure(() => rightAccess({ ...admin, impersonator: delegate }, ACCOUNT, 'Read'))
    assert.equal(real.code, 'FORBIDDEN')
    assert.match(real.message, /Id=delegate\) is missing prvReadaccount/)
    const acting = failure(() => rightAccess({ ...delegate, impersonator: admin }, CONTACT, 'Read'))
    assert.match(acting.message, /Id=delegate\) is missing prvReadcontact/)
    const share = failure(() => rightAccess({ ...basic, impersonator: delegate }, CONTACT, 'Share'))
    assert.match(share.message, /Id=delegate\) is missing prvSharecontact/)
    assert.doesNotThrow(() => rightAccess({ ...basic, impersonator: admin }, CONTACT, 'Assign'))
  })

  it('task privileges: both must hold them', () => {
    assert.doesNotThrow(() => {
      requireTaskPrivilege(admin, 'prvAssignRole')
    })
    const e = failure(() => {
      requireTaskPrivilege({ ...admin, impersonator: delegate }, 'prvAssignRole')
    })
    assert.match(e.message, /Id=delegate\) is missing prvAssignRole/)
    const f = failure(() => {
      requireTaskPrivilege({ ...delegate, impersonator: admin }, 'prvAssignRole')
    })
    assert.match(f.message, /Id=delegate\)/)
  })

  it('column security: usable only if both may; administrators only if both are', () => {
    const reader = user('reader', ['Basic User'], { 'account.secret': ALL })
    const other = user('other', ['Basic User'], { 'account.salary': ALL })
    assert.deepEqual(columnAccess(reader, ACCOUNT)?.unreadable, new Set(['salary']))
    const both = columnAccess({ ...reader, impersonator: other }, ACCOUNT)
    assert.deepEqual(both?.unreadable, new Set(['secret', 'salary']))
    assert.deepEqual(both.noCreate, new Set(['secret', 'salary']))
    assert.deepEqual(both.noUpdate, new Set(['secret', 'salary']))
    // An administrator adds nothing and takes nothing away.
    assert.deepEqual(
      columnAccess({ ...reader, impersonator: admin }, ACCOUNT)?.unreadable,
      new Set(['salary']),
    )
    assert.deepEqual(
      columnAccess({ ...admin, impersonator: reader }, ACCOUNT)?.unreadable,
      new Set(['salary']),
    )
    assert.equal(columnAccess({ ...admin, impersonator: admin }, ACCOUNT), undefined)
    assert.ok(!isSystemAdministrator({ ...admin, impersonator: basic }))
    assert.ok(!isSystemAdministrator({ ...basic, impersonator: admin }))
    assert.ok(
      isSystemAdministrator({ ...admin, impersonator: user('a2', ['System Administrator']) }),
    )
  })

  it('the records actor: createdby the acting user, callingUserId the real caller', () => {
    assert.deepEqual(actorOf(basic), { actorId: 'basic' })
    assert.deepEqual(actorOf({ ...basic, impersonator: delegate }), {
      actorId: 'basic',
      callingUserId: 'delegate',
    })
    const alone = actingAlone({ ...basic, impersonator: delegate })
    assert.equal(alone.impersonator, undefined)
    assert.equal(alone.security, basic.security)
  })
})
