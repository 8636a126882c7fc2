import { AppError } from '../../shared/errors.ts'
import { routeNotFound } from './odata-errors.ts'

/** One resource path segment: `name` or `name(key)`, percent-decoded. */
export interface PathSegment {
  readonly name: string
  /** The text between the parentheses, decoded; absent without parentheses. */
  readonly key?: string
}

const MAX_SEGMENTS = 6
const MAX_KEY_LENGTH = 4096
const SEGMENT_NAME = /^[A-Za-z_$][A-Za-z0-9_.$]{0,127}$/

/**
 * Splits the resource path (after /api/data/<version>/, still percent-encoded) into segments.
 * The path is split on '/' before decoding, so an encoded %2F stays inside its segment (a key
 * value), and each segment is decoded once. Names must be identifiers; anything else is 404.
 *
 * @throws AppError ROUTE_NOT_FOUND, QUERY_INVALID (malformed percent-encoding)
 */
export function parsePath(path: string): readonly PathSegment[] {
  if (path === '') return []
  const raw = path.split('/')
  if (raw.at(-1) === '') raw.pop()
  if (raw.length > MAX_SEGMENTS) throw routeNotFound()
  return raw.map(parseSegment)
}

function parseSegment(encoded: string): PathSegment {
  let text: string
  try {
    text = decodeURIComponent(encoded)
  } catch (e) {
    throw new AppError('QUERY_INVALID', 'The URL has malformed percent-encoding.', { cause: e })
  }
  const open = text.indexOf('(')
  if (open === -1) {
    if (!SEGMENT_NAME.test(text)) throw routeNotFound()
    return { name: text }
  }
  const name = text.slice(0, open)
  if (!SEGMENT_NAME.test(name) || !text.endsWith(')')) throw routeNotFound()
  const key = text.slice(open + 1, -1)
  if (key.length > MAX_KEY_LENGTH) {
    throw new AppError('QUERY_TOO_COMPLEX', `A key is longer than ${MAX_KEY_LENGTH} characters.`)
  }
  return { name, key }
}
