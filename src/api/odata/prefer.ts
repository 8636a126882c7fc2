import { AppError } from '../../shared/errors.ts'

/** Which instance annotations the client asked for (Prefer odata.include-annotations). */
export type AnnotationFilter = (term: string) => boolean

/** The preferences of one request (RFC 7240; dataverse-spec §7). */
export interface Preferences {
  readonly returnRepresentation: boolean
  readonly maxPageSize?: number
  /** Absent when no annotations were asked for. */
  readonly annotations?: AnnotationFilter
  /** The include-annotations value as given, for Preference-Applied. */
  readonly annotationsText?: string
}

const NO_PREFERENCES: Preferences = { returnRepresentation: false }
const MAX_PREFER_LENGTH = 2048
const PAGE_SIZE = /^\d{1,9}$/
/** Terms, `ns.*`, `*` and `-term`: nothing that could break out of a header when echoed. */
const ANNOTATION_LIST = /^[A-Za-z0-9.*,\- ]{1,512}$/

/**
 * Parses the Prefer header: `return=representation`, `odata.maxpagesize=N` (1 to maxPageSize)
 * and `odata.include-annotations="a,b"`; unknown preferences are ignored (RFC 7240 §2).
 *
 * @throws AppError QUERY_INVALID for a malformed odata.maxpagesize or one above maxPageSize
 */
export function parsePrefer(header: string | undefined, maxPageSize: number): Preferences {
  if (header === undefined || header === '') return NO_PREFERENCES
  if (header.length > MAX_PREFER_LENGTH) {
    throw new AppError('QUERY_INVALID', 'The Prefer header is too long.')
  }
  let result: { -readonly [K in keyof Preferences]: Preferences[K] } = {
    returnRepresentation: false,
  }
  for (const item of splitPreferences(header)) {
    const eq = item.indexOf('=')
    const name = (eq === -1 ? item : item.slice(0, eq)).trim().toLowerCase()
    const value = eq === -1 ? '' : unquote(item.slice(eq + 1).trim())
    if (name === 'return' && value === 'representation') result.returnRepresentation = true
    else if (name === 'odata.maxpagesize') {
      const size = PAGE_SIZE.test(value) ? Number(value) : 0
      if (size < 1 || size > maxPageSize) {
        throw new AppError(
          'QUERY_INVALID',
          `odata.maxpagesize must be a whole number from 1 to ${maxPageSize}.`,
        )
      }
      result.maxPageSize = size
    } else if (name === 'odata.include-annotations' && ANNOTATION_LIST.test(value)) {
      result = { ...result, annotations: annotationFilter(value), annotationsText: value }
    }
  }
  return result
}

/** Splits on commas outside double quotes. */
function splitPreferences(header: string): string[] {
  const items: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < header.length; i++) {
    const c = header[i]
    if (c === '"') quoted = !quoted
    else if ((c === ',' || c === ';') && !quoted) {
      items.push(header.slice(start, i))
      start = i + 1
    }
  }
  items.push(header.slice(start))
  return items.filter((s) => s.trim() !== '')
}

const unquote = (v: string): string =>
  v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v

/**
 * OData 4.0 §8.2.8.4: a comma list of terms, `namespace.*`, `*`, and `-term` exclusions.
 * Terms are compared case-insensitively.
 */
function annotationFilter(value: string): AnnotationFilter {
  const include: string[] = []
  const exclude: string[] = []
  for (const raw of value.split(',')) {
    const term = raw.trim().toLowerCase()
    if (term.startsWith('-')) exclude.push(term.slice(1))
    else if (term !== '') include.push(term)
  }
  const matches = (pattern: string, term: string): boolean =>
    pattern === '*' ||
    pattern === term ||
    (pattern.endsWith('.*') && term.startsWith(pattern.slice(0, -1)))
  return (term) => {
    const t = term.toLowerCase()
    return !exclude.some((p) => matches(p, t)) && include.some((p) => matches(p, t))
  }
}
