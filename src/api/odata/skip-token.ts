import { createHash } from 'node:crypto'
import { z } from 'zod'
import { AppError } from '../../shared/errors.ts'

/** A decoded paging cookie: the sort values of the next page's first row, and the page size. */
export interface SkipToken {
  readonly values: readonly (string | number | bigint | null)[]
  readonly pageSize: number
}

const MAX_TOKEN_LENGTH = 24_576
const BASE64URL = /^[A-Za-z0-9_-]+$/
const MAX_VALUES = 17 // MAX_ORDER_BY_ITEMS + the primary id
const VALUE = z.union([
  z.null(),
  z.string().max(8192),
  z.number(),
  z.strictObject({ i: z.string().regex(/^-?\d{1,19}$/) }),
])
const TOKEN = z.strictObject({
  p: z.number().int().min(1).max(5000),
  k: z.array(VALUE).min(1).max(MAX_VALUES),
  h: z.string().length(22),
})

const tampered = (cause?: unknown): AppError =>
  new AppError('QUERY_INVALID', 'The $skiptoken is invalid or does not belong to this query.', {
    cause,
  })

/** A checksum binding the token's content to the query it was issued for. */
function checksum(fingerprint: string, pageSize: number, keys: unknown[]): string {
  return createHash('sha256')
    .update(fingerprint)
    .update('\u0000')
    .update(JSON.stringify([pageSize, keys]))
    .digest('base64url')
    .slice(0, 22)
}

/**
 * Encodes an opaque $skiptoken (dataverse-spec §7 Paging: clients must not modify it):
 * base64url of the keyset values, the page size and a checksum over both and the query
 * fingerprint (table, caller, every other query option), so a token edited by hand or used
 * with another query is refused. The checksum is not a secret MAC: a forged token only chooses
 * where a page starts, and each page is read through the caller's scope again.
 */
export function encodeSkipToken(
  values: readonly unknown[],
  pageSize: number,
  fingerprint: string,
): string {
  const keys = values.map((v) => (typeof v === 'bigint' ? { i: v.toString() } : v))
  const payload = { p: pageSize, k: keys, h: checksum(fingerprint, pageSize, keys) }
  return Buffer.from(JSON.stringify(payload)).toString('base64url')
}

/** @throws AppError QUERY_INVALID for a malformed, tampered or foreign token */
export function decodeSkipToken(text: string, fingerprint: string): SkipToken {
  if (text.length > MAX_TOKEN_LENGTH || !BASE64URL.test(text)) throw tampered()
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch (e) {
    throw tampered(e)
  }
  const parsed = TOKEN.safeParse(json)
  if (!parsed.success) throw tampered()
  const { p, k, h } = parsed.data
  if (h !== checksum(fingerprint, p, k)) throw tampered()
  return {
    pageSize: p,
    values: k.map((v) => (v !== null && typeof v === 'object' ? BigInt(v.i) : v)),
  }
}

/** The fingerprint of a collection request: table, caller and the other query options. */
export function queryFingerprint(
  table: string,
  caller: string,
  query: Readonly<Record<string, string>>,
): string {
  const entries = Object.entries(query)
    .filter(([name]) => name !== '$skiptoken')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return JSON.stringify([table, caller, entries])
}
