import { encodeContext, open, seal } from '../../crypto/index.ts'
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

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Opens one sealed cell. Anything that doesn't authenticate as this cell — altered, truncated,
 * not a blob, or sealed for another row, column or environment — fails with DECRYPT_FAILED
 * naming the cell (never the value): no plaintext is ever returned for it.
 * @throws AppError DECRYPT_FAILED
 */
export function openCell(key: Secret, address: CellAddress, sealed: unknown): string {
  return openCellWith(key, cellContext(address), address, address.recordId, sealed)
}

/**
 * openCell with the cell's associated data already encoded: `aad` is cellContext of the cell
 * in `recordId` of `where` (ColumnAad.open, the read path of encrypted columns). `sealed` is
 * the stored blob, or its hex text as a point read selects it (selectStored): anything else,
 * or hex that isn't a sealed cell of this place, fails the same way.
 * @throws AppError DECRYPT_FAILED
 */
export function openCellWith(
  key: Secret,
  aad: Uint8Array,
  where: CellColumn,
  recordId: string,
  sealed: unknown,
): string {
  const blob = typeof sealed === 'string' ? hexCell(sealed) : sealed
  if (!(blob instanceof Uint8Array)) throw cellFailed(where, recordId)
  let bytes: Uint8Array
  try {
    bytes = open(key, blob, aad)
  } catch (e) {
    if (isAppError(e)) throw cellFailed(where, recordId, e)
    throw e
  }
  try {
    return UTF8.decode(bytes)
  } catch (e) {
    throw cellFailed(where, recordId, e)
  } finally {
    bytes.fill(0)
  }
}

/**
 * A sealed cell read as hex text (selectStored). Strict: Buffer.from stops at the first pair
 * that isn't hex, so text that doesn't decode whole is refused rather than half-read.
 */
function hexCell(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'hex')
  return bytes.length * 2 === text.length ? bytes : undefined
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
