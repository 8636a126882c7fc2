/**
 * Exact decimal arithmetic for scaled-integer storage (decimal, currency) and float rounding.
 * Numbers go through their shortest round-trip text (String(n)), so 1.005 rounds as the
 * decimal 1.005 a person typed, not as the binary double just below it.
 */

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?$/

/** Longest numeral accepted as text (a JSON number is at most 17 significant digits). */
export const MAX_NUMERAL_LENGTH = 64

/** Exponent magnitudes past this are outside every column's range (or round to zero). */
const MAX_SHIFT = 60

/**
 * `text` × 10^precision rounded half away from zero, as a bigint; undefined when `text` is not
 * a plain decimal numeral (optional '-', digits, optional fraction and exponent) or is absurdly
 * large.
 */
export function scaleRounded(text: string, precision: number): bigint | undefined {
  if (text.length > MAX_NUMERAL_LENGTH) return undefined
  const m = DECIMAL_TEXT.exec(text)
  if (m === null) return undefined
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m
  const shift = Number(exponent) - fraction.length + precision
  if (shift > MAX_SHIFT) return undefined
  const digits = BigInt(whole + fraction)
  let magnitude: bigint
  if (shift >= 0) {
    magnitude = digits * 10n ** BigInt(shift)
  } else if (-shift > MAX_SHIFT + MAX_NUMERAL_LENGTH) {
    magnitude = 0n
  } else {
    const divisor = 10n ** BigInt(-shift)
    const quotient = digits / divisor
    // Half away from zero: the magnitude rounds up when the remainder is at least half.
    magnitude = (digits % divisor) * 2n >= divisor ? quotient + 1n : quotient
  }
  return sign === '-' ? -magnitude : magnitude
}

/** The decimal text of `scaled` / 10^precision, e.g. (12345n, 2) → '123.45'. */
export function formatScaled(scaled: bigint, precision: number): string {
  const negative = scaled < 0n
  const digits = (negative ? -scaled : scaled).toString().padStart(precision + 1, '0')
  const whole = digits.slice(0, digits.length - precision)
  const fraction = digits.slice(digits.length - precision).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`
}

/** `n` rounded half away from zero to `precision` digits after the point (finite n only). */
export function roundNumber(n: number, precision: number): number {
  const scaled = scaleRounded(String(n), precision)
  // String(n) of a finite number always parses; out-of-range magnitudes are caught by callers.
  if (scaled === undefined) return n
  const rounded = Number(formatScaled(scaled, precision))
  return Object.is(rounded, -0) ? 0 : rounded
}
