/** A least-recently-used map with a fixed capacity; `onEvict` runs for each entry pushed out. */
export class Lru<K, V> {
  readonly #capacity: number
  readonly #map = new Map<K, V>()
  readonly #onEvict: (key: K, value: V) => void
  /** The most recently used key (a hit on it needs no reordering: the hot path of caches). */
  #newest: K | undefined
  #hasNewest = false

  constructor(capacity: number, onEvict: (key: K, value: V) => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be >= 1')
    this.#capacity = capacity
    this.#onEvict = onEvict
  }

  get size(): number {
    return this.#map.size
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key)
    if (value === undefined) return undefined
    if (this.#hasNewest && this.#newest === key) return value
    this.#map.delete(key)
    this.#map.set(key, value)
    this.#newest = key
    this.#hasNewest = true
    return value
  }

  peek(key: K): V | undefined {
    return this.#map.get(key)
  }

  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    this.#newest = key
    this.#hasNewest = true
    while (this.#map.size > this.#capacity) {
      const oldest = this.#map.keys().next()
      if (oldest.done === true) break
      const evicted = this.#map.get(oldest.value) as V
      this.#map.delete(oldest.value)
      this.#onEvict(oldest.value, evicted)
    }
  }

  delete(key: K): V | undefined {
    const value = this.#map.get(key)
    this.#map.delete(key)
    if (this.#hasNewest && this.#newest === key) {
      this.#newest = undefined
      this.#hasNewest = false
    }
    return value
  }

  keys(): IterableIterator<K> {
    return this.#map.keys()
  }

  values(): IterableIterator<V> {
    return this.#map.values()
  }
}
