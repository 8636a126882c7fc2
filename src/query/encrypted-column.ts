import type { AppError } from '../shared/errors.ts'
import type { ColumnDef } from '../records/model.ts'
import { queryError, type QueryErrorSource } from './query-error.ts'

/**
 * Computes the blind index of a literal for an encrypted column that has one (records/cells):
 * the hidden SQL column that holds it and the value to compare it with.
 */
export type BlindIndexer = (
  column: ColumnDef,
  value: string,
) => { readonly column: string; readonly value: Uint8Array }

/** True for a column whose values are sealed cells (cell-level encryption). */
export const isEncrypted = (column: ColumnDef): boolean => column.options.encrypted === true

/** True for an encrypted column with a blind index (exact-match `eq` filters). */
export const hasBlindIndex = (column: ColumnDef): boolean =>
  isEncrypted(column) && column.options.blindIndex === true

/**
 * The error for a query that needs an encrypted column's plaintext. The server only ever holds
 * sealed cells and, with a blind index, keyed hashes of them: it can test equality with a
 * literal and null-ness, nothing else (docs/keys.md "Cell-level encryption").
 */
export function encryptedColumnError(
  column: ColumnDef,
  what: string,
  source?: QueryErrorSource,
): AppError {
  const how = hasBlindIndex(column)
    ? "only 'eq' with a literal, 'eq null' and 'ne null' are allowed"
    : "it has no blind index, so only 'eq null' and 'ne null' are allowed"
  return queryError(
    'QUERY_ENCRYPTED_COLUMN',
    `Column '${column.name}' is encrypted: ${what} needs its plaintext (${how})`,
    source,
  )
}
