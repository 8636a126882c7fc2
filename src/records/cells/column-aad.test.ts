import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../../shared/errors.ts'
import { cryptoRandom } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import type { TableDef } from '../model.ts'
import { ColumnAad, ColumnAadCache } from './column-aad.ts'
import { cellContext, sealCell, type CellAddress } from './seal-cell.ts'

const address: CellAddress = {
  environmentId: '11111111-1111-1111-1111-111111111111',
  table: 'new_secret',
  column: 'new_nationalid',
  recordId: '22222222-2222-2222-2222-222222222222',
}
const aadOf = (a: CellAddress) => new ColumnAad(a.environmentId, a.table, a.column)
const key = new Secret(cryptoRandom.bytes(32))
const decryptFailed = (e: unknown): boolean =>
  e instanceof AppError && e.code === 'DECRYPT_FAILED' && !e.message.includes('AB-123')

describe('ColumnAad', () => {
  it('gives the same bytes as cellContext, for GUIDs and for any other id', () => {
    const aad = aadOf(address)
    for (const recordId of [
      address.recordId,
      '33333333-3333-3333-3333-333333333333',
      'short',
      `${address.recordId}-longer`,
      'é'.repeat(36),
      '',
    ]) {
      assert.deepEqual(aad.of(recordId), cellContext({ ...address, recordId }), recordId)
    }
  })

  it("opens the column's cells and refuses one from another record, column, table or environment", () => {
    const sealed = sealCell(key, address, 'AB-123', cryptoRandom)
    assert.equal(aadOf(address).open(key, address.recordId, sealed), 'AB-123')
    const elsewhere: CellAddress[] = [
      { ...address, column: 'new_otherid' },
      { ...address, table: 'new_other' },
      { ...address, environmentId: '44444444-4444-4444-4444-444444444444' },
    ]
    for (const to of elsewhere) {
      assert.throws(() => aadOf(to).open(key, address.recordId, sealed), decryptFailed)
    }
    const aad = aadOf(address)
    assert.throws(
      () => aad.open(key, '33333333-3333-3333-3333-333333333333', sealed),
      decryptFailed,
    )
    // The reused buffer carries no state from the failed call.
    assert.equal(aad.open(key, address.recordId, sealed), 'AB-123')
    for (const bad of ['AB-123', null, new Uint8Array(0)]) {
      assert.throws(() => aad.open(key, address.recordId, bad), decryptFailed)
    }
  })

  it('is cached per table definition and environment', () => {
    const cache = new ColumnAadCache()
    const table = { name: 'new_secret' } as TableDef
    const a = cache.get(address.environmentId, table, 'new_nationalid')
    assert.equal(cache.get(address.environmentId, table, 'new_nationalid'), a)
    assert.notEqual(cache.get(address.environmentId, table, 'new_notes'), a)
    assert.notEqual(
      cache.get(address.environmentId, { name: 'new_secret' } as TableDef, 'new_nationalid'),
      a,
    )
    const other = cache.get('44444444-4444-4444-4444-444444444444', table, 'new_nationalid')
    assert.equal(other.environmentId, '44444444-4444-4444-4444-444444444444')
    assert.notDeepEqual(other.of(address.recordId), cellContext(address))
  })
})
