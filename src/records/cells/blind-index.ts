import { createHmac } from 'node:crypto'
import type { Secret } from '../../shared/secret.ts'
import type { ColumnDef } from '../model.ts'

/**
 * The hidden SQL column that holds an encrypted column's blind index. Logical names start with
 * a letter, so a name starting with '_' never collides with a client's column.
 */
export const blindIndexColumnOf = (column: ColumnDef | string): string =>
  `_bidx_${typeof column === 'string' ? column : column.name}`

/** ASCII A-Z → a-z: the same folding as SQLite's lower(), which other text comparisons use. */
const foldAscii = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase())

/**
 * The blind index of a value: HMAC-SHA-256 (RFC 2104) under the column's blindIndexKey, over
 * the UTF-8 of the value with ASCII letters lower-cased, so `eq` stays case-insensitive as on
 * every other text column (dataverse-spec §7). Equal values give equal index values: that
 * equality is what a blind index reveals.
 */
export function blindIndexOf(key: Secret, value: string): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', key.expose()).update(foldAscii(value), 'utf8').digest(),
  )
}
