import { inspect } from 'node:util'

/**
 * Key material and credentials. A Secret can't print itself: console, JSON and template strings
 * show `[redacted]`. `dispose()` zeroes the bytes when the owner is done with them.
 */
export class Secret {
  readonly #value: Uint8Array

  constructor(value: Uint8Array) {
    this.#value = value
  }

  expose(): Uint8Array {
    return this.#value
  }

  get length(): number {
    return this.#value.length
  }

  dispose(): void {
    this.#value.fill(0)
  }

  toJSON(): string {
    return '[redacted]'
  }

  toString(): string {
    return '[redacted]'
  }

  [inspect.custom](): string {
    return 'Secret([redacted])'
  }
}
