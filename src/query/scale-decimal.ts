import { AppError } from '../shared/errors.ts'

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/** Largest power-of-ten shift accepted; anything bigger is out of every column's range. */
const MAX_SHIFT = 40
const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)

/**
 * Multiplies a decimal numeral by 10^precision exactly (string arithmetic, no float
 * rounding: '0.07' at precision 2 is exactly 7). An integral result is returned as a number
 * when it is a safe integer and as a bigint otherwise (64-bit range only). A result with
 * fractional digits x is returned as trunc(x) ± 0.5: against an INTEGER column every
 * comparison gives the same answer as with x itself (`eq` matches nothing, `gt 1055.5` and
 * `gt 1055.55` both mean `ge 1056`), and the half is exact in a double.
 *
 * @throws AppError QUERY_INVALID when the text is not a numeral or the integer is outside 64 bits
 */
export function scaleDecimal(text: string, precision: number): number | bigint {
  const m = DECIMAL.exec(text)
  if (m === null) throw new AppError('QUERY_INVALID', 'The value is not a number.')
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m
  const shift = Number(exponent) - fraction.length + precision
  const digits = (whole + fraction).replace(/^0+(?=\d)/, '')
  if (/^0+$/.test(digits)) return 0
  if (shift > MAX_SHIFT || !Number.isSafeInteger(shift)) {
    throw new AppError('QUERY_INVALID', 'The number is out of range.')
  }
  if (shift < 0) {
    const cut = digits.length + shift
    const head = cut > 0 ? digits.slice(0, cut) : '0'
    const tail = cut > 0 ? digits.slice(cut) : digits
    if (/^0*$/.test(tail)) return toInteger(`${sign}${head}`)
    const truncated = Number(head)
    if (!Number.isSafeInteger(truncated * 2 + 1)) {
      throw new AppError('QUERY_INVALID', 'The number has too many digits.')
    }
    return (sign === '-' ? -1 : 1) * (truncated + 0.5)
  }
  return toInteger(`${sign}${digits}${'0'.repeat(shift)}`)
}

function toInteger(text: string): number | bigint {
  const big = BigInt(text)
  if (big > INT64_MAX || big < INT64_MIN) {
    throw new AppError('QUERY_INVALID', 'The number is out of range.')
  }
  const n = Number(big)
  return Number.isSafeInteger(n) ? n : big
}
