import { Lru } from '../shared/lru.ts'

/**
 * A bounded cache whose entries are valid only while the database stamps they were computed
 * under are unchanged (see storage ChangeStamp). Hits are exact: a stale entry is never
 * returned, so caching never delays a lock, a role change or a revoked client.
 */
export class StampedCache<V> {
  readonly #lru: Lru<string, { stamp: string; value: V }>

  constructor(capacity: number) {
    this.#lru = new Lru(capacity, () => undefined)
  }

  get(key: string, stamp: string): V | undefined {
    const hit = this.#lru.get(key)
    if (hit === undefined) return undefined
    if (hit.stamp !== stamp) {
      this.#lru.delete(key)
      return undefined
    }
    return hit.value
  }

  set(key: string, stamp: string, value: V): void {
    this.#lru.set(key, { stamp, value })
  }
}
