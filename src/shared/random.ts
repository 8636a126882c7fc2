import { randomBytes, randomUUID } from 'node:crypto'

/** Randomness comes only from node:crypto (STYLE §7). Injected so tests can observe it. */
export interface Random {
  bytes(n: number): Uint8Array
  uuid(): string
}

export const cryptoRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
  uuid: () => randomUUID(),
}
