import { encodeContext, nodeTextOpener, seal, type TextOpener } from '../../crypto/index.ts'
import { AppError, isAppError } from '../../shared/errors.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'

/** Where a cell lives: what its associated data binds it to. */
export interface CellAddress {
  readonly environmentId: string
  readonly table: string
  readonly column: string
  /** The record's primary id (lower-case GUID, as stored). */
  readonly recordId: string
}

/** The domain label of a cell's associated data (cellContext). */
export const CELL_CONTEXT_DOMAIN = 'strongroom/cell/v1'

/**
 * The associated data of a cell: encodeContext('strongroom/cell/v1', [environment id, table,
 * column, record id]). A sealed cell copied to another row, column or environment doesn't
 * authenticate there.
 */
export function cellContext(address: CellAddress): Uint8Array {
  return encodeContext(CELL_CONTEXT_DOMAIN, [
    address.environmentId,
    address.table,
    address.column,
    address.recordId,
  ])
}

/**
 * Seals one plaintext value with its column's cell key (cellKey). The stored cell is the
 * versioned AEAD layout of src/crypto: `0x01 | IV (12) | ciphertext | tag (16)`.
 */
export function sealCell(
  key: Secret,
  address: CellAddress,
  plaintext: string,
  random: Random,
): Uint8Array {
  return seal(key, new TextEncoder().encode(plaintext), cellContext(address), random)
}

/**
 * Opens one sealed cell. Anything that doesn't authenticate as this cell — altered, truncated,
 * not a blob, or sealed for another row, column or environment — fails with DECRYPT_FAILED
 * naming the cell (never the value): no plaintext is ever returned for it. `opener` is the
 * AEAD's implementation (TextOpener; node:crypto unless given).
 * @throws AppError DECRYPT_FAILED
 */
export function openCell(
  key: Secret,
  address: CellAddress,
  sealed: unknown,
  opener: TextOpener = nodeTextOpener(),
): string {
  return openCellWith(opener, key, cellContext(address), address, address.recordId, sealed)
}

/**
 * openCell with the cell's associated data already encoded: `aad` is cellContext of the cell
 * in `recordId` of `where` (ColumnAad.open, the read path of encrypted columns). `sealed` is
 * the stored blob, or its hex text as a point read selects it (selectStored): anything else,
 * or hex that isn't a sealed cell of this place, fails the same way.
 * @throws AppError DECRYPT_FAILED
 */
export function openCellWith(
  opener: TextOpener,
  key: Secret,
  aad: Uint8Array,
  where: CellColumn,
  recordId: string,
  sealed: unknown,
): string {
  if (typeof sealed !== 'string' && !(sealed instanceof Uint8Array))
    throw cellFailed(where, recordId)
  try {
    return opener.open(key, sealed, aad)
  } catch (e) {
    if (isAppError(e)) throw cellFailed(where, recordId, e)
    throw e
  }
}

/** The column part of a CellAddress. */
export type CellColumn = Pick<CellAddress, 'table' | 'column'>

function cellFailed(where: CellColumn, recordId: string, cause?: unknown): AppError {
  return new AppError(
    'DECRYPT_FAILED',
    `The encrypted value of ${where.table}.${where.column} in record ${recordId} could not be authenticated (altered, or copied from another row, column or environment).`,
    { cause },
  )
}
