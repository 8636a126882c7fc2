/**
 * Runs `fn` on every item with at most `limit` calls in flight, and resolves when all are done.
 * The first rejection rejects the whole (calls already started still finish; no new ones
 * start). Completion order is not item order.
 */
export async function eachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError('limit must be a positive integer')
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T
      try {
        await fn(item)
      } catch (e) {
        failed = true
        throw e
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
