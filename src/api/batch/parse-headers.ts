import type { BatchLimits } from './limits.ts'
import { malformed, tooLarge } from './batch-errors.ts'

const NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/

/** Header lines parsed from `lines[start]` to the first empty line (or the end). */
export interface ParsedHeaders {
  /** Lower-case names. */
  readonly headers: Map<string, string>
  /** The index after the empty line that ended the headers (lines.length when none did). */
  readonly next: number
}

/**
 * Parses `Name: value` lines (RFC 9110 §5: no space before the colon, no obsolete folding, no
 * control characters). A repeated name is refused for MIME part headers and joined with ", "
 * for an HTTP request's headers (RFC 9110 §5.3).
 *
 * @throws AppError BATCH_MALFORMED, BATCH_TOO_LARGE (too many or too long lines)
 */
export function parseHeaders(
  lines: readonly string[],
  start: number,
  options: { readonly where: string; readonly repeated: 'refuse' | 'join'; limits: BatchLimits },
): ParsedHeaders {
  const { where, limits } = options
  const headers = new Map<string, string>()
  let i = start
  for (; i < lines.length; i += 1) {
    const line = lines[i] ?? ''
    if (line === '') return { headers, next: i + 1 }
    if (i - start >= limits.maxHeaders) {
      throw tooLarge(`${where} has more than ${String(limits.maxHeaders)} header lines`)
    }
    if (line.length > limits.maxHeaderLength) {
      throw tooLarge(`${where} has a header line longer than ${String(limits.maxHeaderLength)}`)
    }
    const colon = line.indexOf(':')
    const name = colon < 0 ? '' : line.slice(0, colon)
    const value = line.slice(colon + 1).trim()
    if (!NAME.test(name)) throw malformed(where, 'a header line is not "Name: value"')
    if (CONTROL.test(value)) throw malformed(where, 'a header value has a control character')
    const key = name.toLowerCase()
    const previous = headers.get(key)
    if (previous !== undefined) {
      if (options.repeated === 'refuse') throw malformed(where, `the header ${name} is repeated`)
      headers.set(key, `${previous}, ${value}`)
    } else {
      headers.set(key, value)
    }
  }
  return { headers, next: i }
}
