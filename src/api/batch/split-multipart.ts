import type { AppError } from '../../shared/errors.ts'
import { malformed } from './batch-errors.ts'
import type { BatchLimits } from './limits.ts'
import { parseHeaders } from './parse-headers.ts'

/** One body part of a multipart entity: its MIME headers and its content, as lines. */
export interface MimePart {
  /** Lower-case names. */
  readonly headers: ReadonlyMap<string, string>
  readonly lines: readonly string[]
}

const LWSP = /^[ \t]*$/

/**
 * Splits multipart content (already split into lines at CRLF or LF) at `boundary`, RFC 2046
 * §5.1.1: an optional preamble, `--boundary` lines between parts (trailing spaces allowed), a
 * closing `--boundary--` line, and an ignored epilogue. The line break before a delimiter
 * belongs to the delimiter, so it is not part of the content.
 *
 * @param maxParts more parts than this throws `tooMany()` (checked while splitting)
 * @throws AppError BATCH_MALFORMED (no opening or closing delimiter, no parts, bad part
 *   headers), BATCH_TOO_LARGE
 */
export function splitMultipart(
  lines: readonly string[],
  boundary: string,
  options: {
    readonly where: string
    readonly maxParts: number
    readonly tooMany: () => AppError
    readonly limits: BatchLimits
  },
): MimePart[] {
  const { where } = options
  const dash = `--${boundary}`
  const kind = (line: string): 'delimiter' | 'close' | undefined => {
    if (!line.startsWith(dash)) return undefined
    const tail = line.slice(dash.length)
    if (LWSP.test(tail)) return 'delimiter'
    if (tail.startsWith('--') && LWSP.test(tail.slice(2))) return 'close'
    return undefined
  }
  let i = 0
  while (i < lines.length && kind(lines[i] ?? '') === undefined) i += 1
  if (i === lines.length) throw malformed(where, 'the boundary delimiter never occurs')
  if (kind(lines[i] ?? '') === 'close') throw malformed(where, 'it has no parts')
  const parts: MimePart[] = []
  let start = i + 1
  for (i = start; i < lines.length; i += 1) {
    const k = kind(lines[i] ?? '')
    if (k === undefined) continue
    if (parts.length >= options.maxParts) throw options.tooMany()
    parts.push(toPart(lines.slice(start, i), `${where}, part ${String(parts.length + 1)}`, options))
    if (k === 'close') return parts
    start = i + 1
  }
  throw malformed(where, 'the closing boundary delimiter is missing')
}

function toPart(
  content: readonly string[],
  where: string,
  options: { readonly limits: BatchLimits },
): MimePart {
  const { headers, next } = parseHeaders(content, 0, {
    where,
    repeated: 'refuse',
    limits: options.limits,
  })
  return { headers, lines: content.slice(next) }
}
