import { DATE_MAX_YEAR, DATE_MIN_YEAR } from '../column-defaults.ts'

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/

function daysInMonth(year: number, month: number): number {
  const date = new Date(0)
  // Day 0 of the next month is the last day of this one; setUTCFullYear keeps years < 100.
  date.setUTCFullYear(year, month, 0)
  return date.getUTCDate()
}

function isValidDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

const inRange = (year: number): boolean => year >= DATE_MIN_YEAR && year <= DATE_MAX_YEAR

/**
 * Normalises an ISO-8601 date-time with a UTC offset (or Z) to 'YYYY-MM-DDTHH:MM:SSZ' in UTC,
 * dropping fractional seconds. Undefined when the text is not such a date-time, names an
 * impossible date or time, or falls outside Dataverse's range (1753-01-01 to 9999-12-31).
 */
export function normaliseDateTime(text: string): string | undefined {
  const m = DATE_TIME.exec(text)
  if (m === null) return undefined
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '00', offset = 'Z'] = m
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (!isValidDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.replace(':', '')
    const oh = Number(digits.slice(1, 3))
    const om = Number(digits.slice(3, 5))
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om)
  }
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute - offsetMinutes, second, 0)
  if (!inRange(date.getUTCFullYear())) return undefined
  return `${date.toISOString().slice(0, 19)}Z`
}

/** Checks a 'YYYY-MM-DD' calendar date within Dataverse's range; undefined when invalid. */
export function normaliseDateOnly(text: string): string | undefined {
  const m = DATE_ONLY.exec(text)
  if (m === null) return undefined
  const [year, month, day] = [m[1], m[2], m[3]].map(Number) as [number, number, number]
  if (!inRange(year) || !isValidDate(year, month, day)) return undefined
  return text
}
