/**
 * A FIFO async mutex. One SQLite connection serves one environment, so every statement and
 * transaction on it takes this lock: a transaction that awaits must not let another request's
 * statements run inside it (they would see its uncommitted rows).
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve()
  #held = false

  get held(): boolean {
    return this.#held
  }

  async lock(): Promise<() => void> {
    let release!: () => void
    const next = new Promise<void>((resolve) => {
      release = resolve
    })
    const previous = this.#tail
    this.#tail = previous.then(() => next)
    await previous
    this.#held = true
    let released = false
    return () => {
      if (released) return
      released = true
      this.#held = false
      release()
    }
  }
}
