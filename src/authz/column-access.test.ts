import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { FilterNode } from '../query/index.ts'
import type { ColumnDef, TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import {
  columnAccess,
  filterColumns,
  isSystemAdministrator,
  maskRecord,
  refuseUnreadableColumns,
  refuseUnwritableColumns,
  sharePrincipals,
} from './column-access.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'
import type { FieldPermission } from './security-context.ts'

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
const PLAIN: TableDef = { ...ACCOUNT, name: 'plain', columns: [col('plainid'), col('name')] }

const caller = (
  roles: string[],
  permissions: Record<string, FieldPermission> = {},
  teams: string[] = [],
): Caller => {
  const base: Caller = { systemUserId: 'u1', businessUnitId: 'b1', roles }
  const security = securityFromRoleNames(base)
  return {
    ...base,
    security: {
      ...security,
      teams: teams.map((teamId) => ({ teamId, businessUnitId: 'b1' })),
      fieldPermissions: new Map(Object.entries(permissions)),
    },
  }
}
const NONE = { read: false, create: false, update: false }
const code = (fn: () => void): string | undefined => {
  try {
    fn()
    return undefined
  } catch (e) {
    if (e instanceof AppError) return e.code
    throw e
  }
}

describe('columnAccess', () => {
  it('a table without secured columns restricts nobody', () => {
    assert.equal(columnAccess(caller(['Basic User']), PLAIN), undefined)
  })

  it('System Administrators reach every secured column (predefined profile)', () => {
    assert.ok(isSystemAdministrator(caller(['System Administrator'])))
    assert.equal(columnAccess(caller(['System Administrator']), ACCOUNT), undefined)
    // Also for a hand-built caller with role names only.
    const bare: Caller = { systemUserId: 'u', businessUnitId: 'b', roles: ['System Administrator'] }
    assert.equal(columnAccess(bare, ACCOUNT), undefined)
  })

  it('other roles (System Customizer included) need a profile', () => {
    for (const role of ['System Customizer', 'Basic User']) {
      const access = columnAccess(caller([role]), ACCOUNT)
      assert.deepEqual([...(access?.unreadable ?? [])], ['secret', 'salary'])
      assert.deepEqual([...(access?.noCreate ?? [])], ['secret', 'salary'])
      assert.deepEqual([...(access?.noUpdate ?? [])], ['secret', 'salary'])
    }
  })

  it('each permission is separate, and a fully granted column is not restricted', () => {
    const access = columnAccess(
      caller(['Basic User'], {
        'account.secret': { read: true, create: false, update: true },
        'other.salary': { read: true, create: true, update: true },
      }),
      ACCOUNT,
    )
    assert.deepEqual([...(access?.unreadable ?? [])], ['salary'])
    assert.deepEqual([...(access?.noCreate ?? [])], ['secret', 'salary'])
    assert.deepEqual([...(access?.noUpdate ?? [])], ['salary'])
    const all = { read: true, create: true, update: true }
    assert.equal(
      columnAccess(caller([], { 'account.secret': all, 'account.salary': all }), ACCOUNT),
      undefined,
    )
  })

  it('share principals are the user and its teams', () => {
    assert.deepEqual(sharePrincipals(caller([], {}, ['t1', 't2'])), ['u1', 't1', 't2'])
  })
})

describe('refusals', () => {
  const access = columnAccess(caller(['Basic User'], { 'account.salary': NONE }), ACCOUNT)
  const c = caller(['Basic User'])

  it('filter, order and key uses of an unreadable column are COLUMN_READ_DENIED', () => {
    assert.equal(
      code(() => {
        refuseUnreadableColumns(c, access, ['name', 'secret'], '$filter')
      }),
      'COLUMN_READ_DENIED',
    )
    assert.equal(
      code(() => {
        refuseUnreadableColumns(c, access, ['name'], '$filter')
      }),
      undefined,
    )
    assert.equal(
      code(() => {
        refuseUnreadableColumns(c, undefined, ['secret'], '$filter')
      }),
      undefined,
    )
  })

  it('the message names the column and the clause, never a value', () => {
    try {
      refuseUnreadableColumns(c, access, ['secret'], '$orderby')
      assert.fail('not refused')
    } catch (e) {
      assert.ok(e instanceof AppError)
      assert.match(e.message, /'account\.secret'.*\$orderby/)
    }
  })

  it('create: a value for a column without Create is refused; null is not a value', () => {
    assert.equal(
      code(() => {
        refuseUnwritableColumns(c, access, { secret: 'x' }, 'create')
      }),
      'COLUMN_CREATE_DENIED',
    )
    assert.equal(
      code(() => {
        refuseUnwritableColumns(c, access, { secret: null }, 'create')
      }),
      undefined,
    )
    assert.equal(
      code(() => {
        refuseUnwritableColumns(c, access, { name: 'x' }, 'create')
      }),
      undefined,
    )
  })

  it('update: refused unless the record column is shared for update (null too)', () => {
    assert.equal(
      code(() => {
        refuseUnwritableColumns(c, access, { secret: null }, 'update')
      }),
      'COLUMN_UPDATE_DENIED',
    )
    assert.equal(
      code(() => {
        refuseUnwritableColumns(c, access, { secret: 'x' }, 'update', new Set(['secret']))
      }),
      undefined,
    )
    assert.equal(
      code(() => {
        refuseUnwritableColumns(c, access, { salary: 1 }, 'update', new Set(['secret']))
      }),
      'COLUMN_UPDATE_DENIED',
    )
  })
})

describe('maskRecord', () => {
  const access = columnAccess(caller([]), ACCOUNT)
  it('nulls the unreadable columns present, keeps shared ones, adds none', () => {
    assert.ok(access !== undefined)
    const record = { accountid: 'a', name: 'n', secret: 's' }
    assert.deepEqual(maskRecord(record, access), { accountid: 'a', name: 'n', secret: null })
    assert.deepEqual(maskRecord(record, access, new Set(['secret'])), record)
    const none = { accountid: 'a', name: 'n' }
    assert.equal(maskRecord(none, access), none)
  })

  it('property: no unreadable value survives masking without a share', () => {
    assert.ok(access !== undefined)
    fc.assert(
      fc.property(
        fc.record(
          { name: fc.string(), secret: fc.string(), salary: fc.integer() },
          {
            requiredKeys: [],
          },
        ),
        (record) => {
          const masked = maskRecord(record, access)
          for (const c of ['secret', 'salary']) {
            if (Object.hasOwn(record, c)) assert.equal(masked[c], null)
            else assert.ok(!Object.hasOwn(masked, c))
          }
          assert.equal(masked['name'], record.name)
        },
      ),
    )
  })
})

describe('filterColumns', () => {
  const prop = (column: string) => ({ kind: 'property' as const, column, lookupValue: false })
  const cmp = (column: string): FilterNode => ({
    kind: 'compare',
    operator: 'eq',
    left: prop(column),
    right: { kind: 'null' },
  })
  it('finds columns under and/or/not, on both sides and in functions', () => {
    const node: FilterNode = {
      kind: 'or',
      left: { kind: 'not', operand: cmp('a') },
      right: {
        kind: 'and',
        left: {
          kind: 'function',
          name: 'contains',
          property: prop('b'),
          value: { kind: 'string', value: 'x' },
        },
        right: { kind: 'compare', operator: 'eq', left: { kind: 'null' }, right: prop('c') },
      },
    }
    assert.deepEqual(filterColumns(node).sort(), ['a', 'b', 'c'])
    assert.deepEqual(filterColumns(undefined), [])
  })
})
