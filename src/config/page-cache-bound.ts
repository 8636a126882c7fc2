/**
 * The most memory the SQLite page caches of a server can take: every process keeps up to
 * `handleCacheSize` environments open, each with up to `pageCacheKiB` of cached pages. SQLite
 * allocates cache pages only as it reads them, so an environment smaller than its cache never
 * reaches it; the bound matters when many large environments are busy at once.
 */
export interface PageCacheBound {
  readonly boundBytes: number
  readonly totalMemoryBytes: number
  /** True when the bound exceeds half of the machine's memory: worth a warning at start. */
  readonly high: boolean
}

/**
 * @param processes server processes (`server.workers`), each with its own handles
 * @param totalMemoryBytes the machine's memory (`os.totalmem()`), injected for tests
 */
export function pageCacheBound(
  storage: { readonly handleCacheSize: number; readonly pageCacheKiB: number },
  processes: number,
  totalMemoryBytes: number,
): PageCacheBound {
  const boundBytes = processes * storage.handleCacheSize * storage.pageCacheKiB * 1024
  return { boundBytes, totalMemoryBytes, high: boundBytes > totalMemoryBytes / 2 }
}
