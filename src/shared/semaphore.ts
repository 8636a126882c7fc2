/**
 * A FIFO counting semaphore: at most `permits` holders at once, the rest wait in arrival order.
 * `acquireAll` waits for every permit (for example to close a pool once its users are done).
 */
export class Semaphore {
  readonly #permits: number
  #available: number
  readonly #waiters: { count: number; grant: () => void }[] = []

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError('permits must be a positive integer')
    }
    this.#permits = permits
    this.#available = permits
  }

  /** Resolves with a release function once a permit is free. */
  acquire(): Promise<() => void> {
    return this.#take(1)
  }

  /** Resolves once every permit is free and held by the caller. */
  acquireAll(): Promise<() => void> {
    return this.#take(this.#permits)
  }

  #take(count: number): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#available -= count
        let released = false
        resolve(() => {
          if (released) return
          released = true
          this.#available += count
          this.#drain()
        })
      }
      if (this.#waiters.length === 0 && this.#available >= count) grant()
      else this.#waiters.push({ count, grant })
    })
  }

  #drain(): void {
    // Strict FIFO: a waiter for many permits is not overtaken by later ones for fewer.
    for (;;) {
      const next = this.#waiters[0]
      if (next === undefined || next.count > this.#available) return
      this.#waiters.shift()
      next.grant()
    }
  }
}
