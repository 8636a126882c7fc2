import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  AEAD_FORMAT_V1,
  AEAD_OVERHEAD,
  nativeTextOpener,
  nodeTextOpener,
  type TextOpener,
} from '../../crypto/index.ts'
import { AppError } from '../../shared/errors.ts'
import { cryptoRandom } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import { blindIndexOf } from './blind-index.ts'
import { blindIndexKey, cellKey } from './cell-keys.ts'
import { openCell as openCellOn, sealCell, type CellAddress } from './seal-cell.ts'

const fieldKey = new Secret(cryptoRandom.bytes(32))
const address: CellAddress = {
  environmentId: '11111111-1111-1111-1111-111111111111',
  table: 'new_secret',
  column: 'new_nationalid',
  recordId: '22222222-2222-2222-2222-222222222222',
}
const keyOf = (a: CellAddress, field = fieldKey): Secret => cellKey(field, a.table, a.column)
const decryptFailed = (e: unknown): boolean =>
  e instanceof AppError &&
  e.code === 'DECRYPT_FAILED' &&
  e.message.startsWith('The encrypted value of ') &&
  !e.message.includes('AB-123')

// Every opening test runs on both AEAD implementations: they read the same cells.
const openers: TextOpener[] = [nodeTextOpener()]
const native = nativeTextOpener()
if (native !== undefined) openers.push(native)

for (const opener of openers) {
  const openCell = (key: Secret, where: CellAddress, sealed: unknown): string =>
    openCellOn(key, where, sealed, opener)
  describe(`cell sealing, opened on ${opener.backend}`, () => {
    it('round-trips text, including empty and non-ASCII, in the versioned layout', () => {
      for (const text of ['AB-123456-C', '', 'Zoë ✓ 𝄞']) {
        const sealed = sealCell(keyOf(address), address, text, cryptoRandom)
        assert.equal(sealed[0], AEAD_FORMAT_V1)
        assert.equal(sealed.length, new TextEncoder().encode(text).length + AEAD_OVERHEAD)
        assert.equal(openCell(keyOf(address), address, sealed), text)
      }
    })

    it('never stores the plaintext and seals equal values differently', () => {
      const a = sealCell(keyOf(address), address, 'AB-123456-C', cryptoRandom)
      const b = sealCell(keyOf(address), address, 'AB-123456-C', cryptoRandom)
      assert.notDeepEqual(a, b)
      assert.equal(Buffer.from(a).includes('AB-123456-C'), false)
    })

    it('refuses a cell moved to another record, column, table or environment', () => {
      const sealed = sealCell(keyOf(address), address, 'AB-123456-C', cryptoRandom)
      const moved: CellAddress[] = [
        { ...address, recordId: '33333333-3333-3333-3333-333333333333' },
        { ...address, column: 'new_otherid' },
        { ...address, table: 'new_other' },
        { ...address, environmentId: '44444444-4444-4444-4444-444444444444' },
      ]
      for (const to of moved) {
        // Under the right key for the new place, and under the original column's key.
        assert.throws(() => openCell(keyOf(to), to, sealed), decryptFailed)
        assert.throws(() => openCell(keyOf(address), to, sealed), decryptFailed)
      }
    })

    it("refuses another environment's field key, a changed byte, and anything not a blob", () => {
      const sealed = sealCell(keyOf(address), address, 'AB-123456-C', cryptoRandom)
      const other = new Secret(cryptoRandom.bytes(32))
      assert.throws(() => openCell(keyOf(address, other), address, sealed), decryptFailed)
      const changed = sealed.slice()
      changed[20] = (changed[20] ?? 0) ^ 1
      assert.throws(() => openCell(keyOf(address), address, changed), decryptFailed)
      for (const bad of ['AB-123456-C', 42, null, new Uint8Array(0)]) {
        assert.throws(() => openCell(keyOf(address), address, bad), decryptFailed)
      }
    })

    it('opens the hex text of a sealed cell (as a point read selects it), and nothing else', () => {
      const sealed = sealCell(keyOf(address), address, 'AB-123456-C', cryptoRandom)
      const hex = Buffer.from(sealed).toString('hex').toUpperCase()
      assert.equal(openCell(keyOf(address), address, hex), 'AB-123456-C')
      assert.equal(openCell(keyOf(address), address, hex.toLowerCase()), 'AB-123456-C')
      for (const bad of [`${hex}0`, `${hex}ZZ`, `ZZ${hex}`, hex.slice(2), '', 'AB-123456-C']) {
        assert.throws(() => openCell(keyOf(address), address, bad), decryptFailed, bad)
      }
    })
  })
}

describe('cell keys', () => {
  it('derives independent keys per column and per purpose', () => {
    const a = cellKey(fieldKey, 't', 'a').expose()
    assert.notDeepEqual(a, cellKey(fieldKey, 't', 'b').expose())
    assert.notDeepEqual(a, cellKey(fieldKey, 'u', 'a').expose())
    assert.notDeepEqual(a, blindIndexKey(fieldKey, 't', 'a').expose())
    assert.notDeepEqual(a, fieldKey.expose())
  })
})

describe('blind index', () => {
  const key = blindIndexKey(fieldKey, 'new_secret', 'new_nationalid')
  it('is a 32-byte keyed hash, equal for equal values and ASCII case', () => {
    const h = blindIndexOf(key, 'AB-123')
    assert.equal(h.length, 32)
    assert.deepEqual(blindIndexOf(key, 'ab-123'), h)
    assert.notDeepEqual(blindIndexOf(key, 'AB-124'), h)
    assert.equal(Buffer.from(h).includes('AB-123'), false)
  })
  it('differs between columns and field keys for the same value', () => {
    const h = blindIndexOf(key, 'AB-123')
    assert.notDeepEqual(blindIndexOf(blindIndexKey(fieldKey, 'new_secret', 'x'), 'AB-123'), h)
    const other = new Secret(cryptoRandom.bytes(32))
    assert.notDeepEqual(
      blindIndexOf(blindIndexKey(other, 'new_secret', 'new_nationalid'), 'AB-123'),
      h,
    )
  })
})
