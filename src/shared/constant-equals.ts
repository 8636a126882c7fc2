import { timingSafeEqual } from 'node:crypto'

/** Constant-time comparison for MACs, tokens and key check values (STYLE §7). */
export function constantEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}
