/** One entry of a comma-separated option, trimmed, with its offset in the option text. */
export interface ListEntry {
  readonly text: string
  readonly offset: number
}

/**
 * Splits a comma-separated option ($select, $orderby) into trimmed entries, keeping each
 * entry's offset for error messages. Empty entries are kept (as '') for the caller to reject.
 */
export function splitList(text: string): ListEntry[] {
  const entries: ListEntry[] = []
  let start = 0
  for (;;) {
    const comma = text.indexOf(',', start)
    const end = comma < 0 ? text.length : comma
    const raw = text.slice(start, end)
    const leading = raw.length - raw.trimStart().length
    entries.push({ text: raw.trim(), offset: start + leading })
    if (comma < 0) return entries
    start = comma + 1
  }
}
