import { deriveKey } from '../../crypto/index.ts'
import type { Secret } from '../../shared/secret.ts'
import type { RecordsContext } from '../internal/context.ts'

const NO_SALT = new Uint8Array(0)

// RFC 5869 §3.2: distinct `info` strings give independent keys from one field key. Table and
// column are logical names ([a-z][a-z0-9_]*), so '<table>.<column>' after the label can't be
// read two ways.

/**
 * The AES-256-GCM key of one column's cells: HKDF-SHA256(field key, 'strongroom/cell/aead/v1:'
 * + table + '.' + column). A key per column keeps each key's number of random-IV encryptions
 * far below the 2^32 of NIST SP 800-38D §8.3.
 */
export function cellKey(fieldKey: Secret, table: string, column: string): Secret {
  return deriveKey(fieldKey, NO_SALT, `strongroom/cell/aead/v1:${table}.${column}`)
}

/**
 * The HMAC-SHA-256 key of one column's blind index: HKDF-SHA256(field key,
 * 'strongroom/cell/blind-index/v1:' + table + '.' + column). Bound to the column, so equal
 * values in two columns (or two environments) have unrelated index values.
 */
export function blindIndexKey(fieldKey: Secret, table: string, column: string): Secret {
  return deriveKey(fieldKey, NO_SALT, `strongroom/cell/blind-index/v1:${table}.${column}`)
}

/**
 * cellKey of `table.column`, derived once per open environment handle and zeroed with the field
 * key (RecordsContext.derivedKey): HKDF per column per request was most of what reading an
 * encrypted column cost (bench:keys d). The key itself once derived on this handle (so a read
 * stays synchronous), a promise the first time. Shared: never dispose it.
 */
export function cachedCellKey(
  ctx: RecordsContext,
  table: string,
  column: string,
): Secret | Promise<Secret> {
  return ctx.derivedKey(`cell:${table}.${column}`, (fieldKey) => cellKey(fieldKey, table, column))
}

/** blindIndexKey of `table.column`, cached like cachedCellKey. Shared: never dispose it. */
export function cachedBlindIndexKey(
  ctx: RecordsContext,
  table: string,
  column: string,
): Secret | Promise<Secret> {
  return ctx.derivedKey(`blind-index:${table}.${column}`, (fieldKey) =>
    blindIndexKey(fieldKey, table, column),
  )
}
