import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../../shared/errors.ts'
import { asEnvironmentId } from '../../shared/ids.ts'
import { cryptoRandom } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import type { RecordsContext } from '../internal/context.ts'
import type { ColumnDef, TableDef } from '../model.ts'
import { cellKey } from './cell-keys.ts'
import { ColumnAadCache } from './column-aad.ts'
import { decodeRecord, decodeRecords } from './decode-records.ts'
import { sealCell } from './seal-cell.ts'

const environmentId = asEnvironmentId('11111111-1111-1111-1111-111111111111')
const column = (name: string, encrypted: boolean): ColumnDef => ({
  name,
  type: 'string',
  displayName: name,
  required: false,
  system: false,
  options: encrypted ? { encrypted: true } : {},
})
const table: TableDef = {
  name: 'new_secret',
  entitySetName: 'new_secrets',
  displayName: 'Secret',
  ownership: 'user',
  primaryIdColumn: 'new_secretid',
  primaryNameColumn: 'name',
  system: false,
  columns: [column('new_secretid', false), column('name', false), column('new_a', true)],
}
const fieldKey = new Secret(cryptoRandom.bytes(32))
const recordId = '22222222-2222-2222-2222-222222222222'
const sealed = sealCell(
  cellKey(fieldKey, table.name, 'new_a'),
  { environmentId, table: table.name, column: 'new_a', recordId },
  'AB-123',
  cryptoRandom,
)
const row = { new_secretid: recordId, name: 'Ada', new_a: sealed }

/** A context whose derivedKey behaves like storage's: a promise first, then the key itself. */
function contextWithKeys(withAadCache: boolean): RecordsContext & { derivations: () => number } {
  const derived = new Map<string, Secret>()
  let derivations = 0
  const ctx = {
    environmentId,
    derivedKey: (name: string, derive: (k: Secret) => Secret) => {
      const known = derived.get(name)
      if (known !== undefined) return known
      derivations += 1
      const key = derive(fieldKey)
      derived.set(name, key)
      return Promise.resolve(key)
    },
    ...(withAadCache ? { columnAad: new ColumnAadCache() } : {}),
    derivations: () => derivations,
  }
  return ctx as unknown as RecordsContext & { derivations: () => number }
}

describe('decodeRecords', () => {
  it('is asynchronous only while a cell key is first derived, then synchronous', async () => {
    for (const withAadCache of [true, false]) {
      const ctx = contextWithKeys(withAadCache)
      const first = decodeRecord(ctx, table, table.columns, row)
      assert.ok(first instanceof Promise)
      assert.deepEqual(await first, { new_secretid: recordId, name: 'Ada', new_a: 'AB-123' })
      const again = decodeRecord(ctx, table, table.columns, row)
      assert.ok(!(again instanceof Promise), 'cached keys: no promise')
      assert.equal(again['new_a'], 'AB-123')
      assert.equal(ctx.derivations(), 1)
    }
  })

  it('never asks for a key when no encrypted column is selected or set', () => {
    const ctx = contextWithKeys(true)
    const plain = decodeRecords(ctx, table, table.columns.slice(0, 2), [row])
    assert.ok(!(plain instanceof Promise))
    const empty = decodeRecords(ctx, table, table.columns, [{ ...row, new_a: null }])
    assert.ok(!(empty instanceof Promise))
    assert.equal(ctx.derivations(), 0)
  })

  it('refuses a cell read under another record id, on the synchronous path too', async () => {
    const ctx = contextWithKeys(true)
    await decodeRecord(ctx, table, table.columns, row)
    const moved = { ...row, new_secretid: '33333333-3333-3333-3333-333333333333' }
    assert.throws(
      () => decodeRecords(ctx, table, table.columns, [moved]),
      (e: unknown) => e instanceof AppError && e.code === 'DECRYPT_FAILED',
    )
    assert.equal(
      (decodeRecord(ctx, table, table.columns, row) as { new_a: string }).new_a,
      'AB-123',
    )
  })
})
