import type { RecordValue } from '../../records/index.ts'

/** dataverse-spec §7: each row carries a weak ETag of its versionnumber, W/"468026". */
export const etagOf = (version: RecordValue): string => `W/"${String(version)}"`

const ETAG = /^(?:W\/)?"(\d{1,19})"$/

/** A conditional header: absent, `*`, a version, or an entity tag that matches no version. */
export type Condition =
  | { readonly kind: 'none' }
  | { readonly kind: 'any' }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'never' }

/**
 * Parses If-Match / If-None-Match. Only one entity tag is understood; a list or a tag that
 * isn't one of ours can match no record. Clients that send `If-None-Match: null` (a
 * Dataverse sample habit) get 'none'.
 */
export function parseCondition(header: string | undefined): Condition {
  if (header === undefined) return { kind: 'none' }
  const text = header.trim()
  if (text === '' || text === 'null') return { kind: 'none' }
  if (text === '*') return { kind: 'any' }
  const m = ETAG.exec(text)
  return m?.[1] === undefined ? { kind: 'never' } : { kind: 'version', version: m[1] }
}
