import { malformed } from './batch-errors.ts'

const PARAMETER =
  /^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*(?:"((?:[^"\\\r\n]|\\[^\r\n])*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))[ \t]*(?:;|$)/
// RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace, bchars = DIGIT / ALPHA / "'" / "(" /
// ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?" / " ".
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/
const MAX_CONTENT_TYPE = 1024

/**
 * The boundary of a `multipart/mixed` Content-Type (RFC 2046 §5.1.1), quoted or not.
 *
 * @param where names the part for messages ("the batch", "change set 2")
 * @throws AppError BATCH_MALFORMED: not multipart/mixed, malformed parameters, no boundary or
 *   one given twice, or a boundary RFC 2046 does not allow
 */
export function parseBoundary(contentType: string | undefined, where: string): string {
  if (contentType === undefined || contentType.trim() === '') {
    throw malformed(where, 'the Content-Type is missing')
  }
  if (contentType.length > MAX_CONTENT_TYPE) throw malformed(where, 'the Content-Type is too long')
  const semicolon = contentType.indexOf(';')
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim()
  if (type.toLowerCase() !== 'multipart/mixed') {
    throw malformed(where, 'the Content-Type must be multipart/mixed')
  }
  let rest = semicolon < 0 ? '' : contentType.slice(semicolon + 1)
  let boundary: string | undefined
  while (rest.trim() !== '') {
    const m = PARAMETER.exec(rest)
    if (m === null) throw malformed(where, 'the Content-Type parameters are malformed')
    if ((m[1] ?? '').toLowerCase() === 'boundary') {
      if (boundary !== undefined) throw malformed(where, 'the boundary parameter is given twice')
      boundary = m[2] === undefined ? (m[3] ?? '') : m[2].replace(/\\(.)/g, '$1')
    }
    rest = rest.slice(m[0].length)
  }
  if (boundary === undefined) throw malformed(where, 'the Content-Type has no boundary')
  if (!BOUNDARY.test(boundary)) {
    throw malformed(where, 'the boundary must be 1 to 70 characters RFC 2046 allows')
  }
  return boundary
}
