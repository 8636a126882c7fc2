import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ColumnDef, ColumnType, TableDef } from '../../records/index.ts'
import { recordWriter, shownColumns } from './record-json.ts'

const column = (name: string, type: ColumnType, targets?: string[]): ColumnDef => ({
  name,
  type,
  displayName: name,
  required: false,
  system: false,
  options: targets === undefined ? {} : { targets },
})

const table: TableDef = {
  name: 'account',
  entitySetName: 'accounts',
  displayName: 'Account',
  ownership: 'user',
  primaryIdColumn: 'accountid',
  primaryNameColumn: 'name',
  system: false,
  columns: [
    column('accountid', 'uniqueidentifier'),
    column('name', 'string'),
    column('ownerid', 'lookup', ['systemuser']),
    column('revenue', 'decimal'),
    column('versionnumber', 'bigint'),
  ],
}

describe('recordWriter', () => {
  it('writes every column in definition order, the etag first and the context before it', () => {
    const write = recordWriter(table)
    const record = {
      accountid: 'a1',
      name: 'Contoso',
      ownerid: 'u1',
      revenue: null,
      versionnumber: 7,
    }
    const body = write(record, 'https://h/$metadata#accounts/$entity')
    assert.equal(
      JSON.stringify(body),
      JSON.stringify({
        '@odata.context': 'https://h/$metadata#accounts/$entity',
        '@odata.etag': 'W/"7"',
        accountid: 'a1',
        name: 'Contoso',
        _ownerid_value: 'u1',
        revenue: null,
        versionnumber: 7,
      }),
    )
    // Without a context (collection rows) the etag comes first; the writer is reusable.
    assert.deepEqual(Object.keys(write(record)), [
      '@odata.etag',
      'accountid',
      'name',
      '_ownerid_value',
      'revenue',
      'versionnumber',
    ])
  })

  it('leaves out columns the record was not read with, and unknown keys', () => {
    const write = recordWriter(table)
    const body = write({ accountid: 'a1', versionnumber: 1, secret_internal: 'x' })
    assert.deepEqual(body, { '@odata.etag': 'W/"1"', accountid: 'a1', versionnumber: 1 })
  })

  it('with a $select: only the shown columns, in the record (request) order', () => {
    const write = recordWriter(table, { columns: shownColumns(table, ['revenue', 'name']) })
    const body = write({ revenue: 3.5, name: 'Contoso', accountid: 'a1', versionnumber: 2 })
    assert.deepEqual(Object.keys(body), ['@odata.etag', 'revenue', 'name', 'accountid'])
  })

  it('writes annotations only when asked for', () => {
    const write = recordWriter(table, {
      annotations: (term) => term === 'Microsoft.Dynamics.CRM.lookuplogicalname',
    })
    const body = write({ accountid: 'a1', ownerid: 'u1', versionnumber: 1 })
    assert.equal(body['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'systemuser')
    assert.equal(
      recordWriter(table)({ accountid: 'a1', ownerid: 'u1', versionnumber: 1 })[
        '_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'
      ],
      undefined,
    )
  })
})
