import { MAX_TOP } from './limits.ts'
import { queryError } from './query-error.ts'

/**
 * Parses $top: a non-negative decimal integer no greater than MAX_TOP.
 *
 * @throws AppError QUERY_INVALID otherwise
 */
export function parseTop(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_TOP) {
    throw queryError('QUERY_INVALID', `$top must be a whole number from 0 to ${MAX_TOP}.`)
  }
  return Number(text)
}
