import { queryError } from './query-error.ts'

/** Token kinds of the $filter lexer. */
export type TokenKind =
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'slash'
  | 'colon'
  | 'equals'
  | 'lbracket'
  | 'rbracket'
  | 'string'
  | 'number'
  | 'guid'
  | 'date'
  | 'datetime'
  | 'identifier'
  | 'alias'
  | 'end'

/** One lexical token. `value` is the decoded value (strings unescaped, GUIDs lower-cased). */
export interface Token {
  readonly kind: TokenKind
  readonly value: string
  /** Zero-based offset of the first character. */
  readonly offset: number
}

const GUID =
  /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z_.:-])/y
const DATE_TIME =
  /(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(Z|[+-]\d{2}:\d{2}))?(?![0-9A-Za-z_.:-])/y
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![0-9A-Za-z_.:-])/y
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y
const ALIAS = /@[A-Za-z_][A-Za-z0-9_]*/y
const PUNCTUATION: Readonly<Record<string, TokenKind>> = {
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  '/': 'slash',
  ':': 'colon',
  // Only in Microsoft.Dynamics.CRM.* function arguments, which the parser rejects as unsupported.
  '=': 'equals',
  '[': 'lbracket',
  ']': 'rbracket',
}

function matchAt(pattern: RegExp, text: string, offset: number): RegExpExecArray | null {
  pattern.lastIndex = offset
  return pattern.exec(text)
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/**
 * Normalises an ISO-8601 date-time match to UTC 'YYYY-MM-DDTHH:MM:SS[.fff]Z' (fraction kept
 * only when non-zero, trailing zeros removed). Returns undefined for impossible dates.
 */
function normaliseDateTime(
  m: RegExpExecArray,
): { kind: 'date' | 'datetime'; value: string } | undefined {
  const [, y, mo, d, h, mi, s, frac, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  if (
    year < 1 ||
    month < 1 ||
    month > 12 ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return undefined
  }
  if (h === undefined || mi === undefined || zone === undefined) {
    return { kind: 'date', value: `${y ?? ''}-${mo ?? ''}-${d ?? ''}` }
  }
  const hour = Number(h)
  const minute = Number(mi)
  const second = s === undefined ? 0 : Number(s)
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om)
  }
  const utc = new Date(date.getTime() + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000)
  const uy = utc.getUTCFullYear()
  if (uy < 1 || uy > 9999) return undefined
  const fraction = (frac ?? '').replace(/0+$/, '')
  const base =
    `${pad(uy, 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}` +
    `T${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}`
  return { kind: 'datetime', value: fraction === '' ? `${base}Z` : `${base}.${fraction}Z` }
}

/**
 * Splits OData expression text into tokens. Whitespace (space, tab, CR, LF) separates tokens.
 * Throws QUERY_INVALID with the position for unterminated strings, impossible dates and
 * characters outside the grammar.
 *
 * @param text the expression text (already URL-decoded)
 * @param option the option or alias name, for error messages
 */
export function tokenizeFilter(text: string, option: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const ch = text.charAt(i)
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++
      continue
    }
    const punctuation = PUNCTUATION[ch]
    if (punctuation !== undefined) {
      tokens.push({ kind: punctuation, value: ch, offset: i })
      i++
      continue
    }
    if (ch === "'") {
      let value = ''
      let j = i + 1
      for (;;) {
        const end = text.indexOf("'", j)
        if (end < 0) {
          throw queryError('QUERY_INVALID', 'Unterminated string literal', {
            option,
            text,
            offset: i,
          })
        }
        value += text.slice(j, end)
        if (text.charAt(end + 1) === "'") {
          value += "'"
          j = end + 2
          continue
        }
        j = end + 1
        break
      }
      // SQLite's lower() and LIKE stop at NUL, so 'a\0b' would compare as 'a'.
      const nul = value.indexOf('\u0000')
      if (nul >= 0) {
        throw queryError('QUERY_INVALID', 'String literals cannot contain NUL characters', {
          option,
          text,
          offset: text.indexOf('\u0000', i),
        })
      }
      tokens.push({ kind: 'string', value, offset: i })
      i = j
      continue
    }
    const guid = matchAt(GUID, text, i)
    if (guid !== null) {
      tokens.push({ kind: 'guid', value: guid[0].toLowerCase(), offset: i })
      i += guid[0].length
      continue
    }
    const dateTime = matchAt(DATE_TIME, text, i)
    if (dateTime !== null) {
      const normalised = normaliseDateTime(dateTime)
      if (normalised === undefined) {
        throw queryError('QUERY_INVALID', 'Invalid date or time', { option, text, offset: i })
      }
      tokens.push({ kind: normalised.kind, value: normalised.value, offset: i })
      i += dateTime[0].length
      continue
    }
    const number = matchAt(NUMBER, text, i)
    if (number !== null) {
      tokens.push({ kind: 'number', value: number[0], offset: i })
      i += number[0].length
      continue
    }
    const identifier = matchAt(IDENTIFIER, text, i) ?? matchAt(ALIAS, text, i)
    if (identifier !== null) {
      const kind = ch === '@' ? 'alias' : 'identifier'
      tokens.push({ kind, value: identifier[0], offset: i })
      i += identifier[0].length
      continue
    }
    const what = /[-0-9]/.test(ch) ? 'Invalid number or date literal' : 'Unexpected character'
    throw queryError('QUERY_INVALID', what, { option, text, offset: i })
  }
  tokens.push({ kind: 'end', value: '', offset: text.length })
  return tokens
}
