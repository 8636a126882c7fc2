import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { Clock } from '../shared/clock.ts'
import { Lru } from '../shared/lru.ts'

interface Entry {
  readonly payload: AdapterPayload
  readonly expiresAt: number | undefined
}

/**
 * oidc-provider's store for everything but clients (grants, sessions, interactions, opaque
 * tokens, replay detection), held by one provider instance in a bounded LRU.
 *
 * Client credentials with JWT access tokens persist nothing here today. For several nodes
 * (or interactive sign-in, a later issue) these models must move to PostgreSQL: Session,
 * Interaction, Grant, AuthorizationCode, RefreshToken and ReplayDetection (DPoP/JTI replay),
 * with expiry by `expiresAt` and lookups by uid, userCode and grantId. oidc-provider's own
 * MemoryAdapter is not used because its store is module-level (one map for every tenant).
 */
export function createMemoryAdapter(clock: Clock, capacity: number): (name: string) => Adapter {
  const entries = new Lru<string, Entry>(capacity, () => undefined)
  const now = () => clock.now().getTime()
  const live = (key: string): AdapterPayload | undefined => {
    const e = entries.get(key)
    if (e === undefined) return undefined
    if (e.expiresAt !== undefined && e.expiresAt <= now()) {
      entries.delete(key)
      return undefined
    }
    return e.payload
  }
  const findBy = (name: string, field: 'uid' | 'userCode', value: string) => {
    for (const key of [...entries.keys()]) {
      if (!key.startsWith(`${name}:`)) continue
      const payload = live(key)
      if (payload?.[field] === value) return Promise.resolve(payload)
    }
    return Promise.resolve(undefined)
  }
  return (name) => ({
    upsert(id, payload, expiresIn) {
      entries.set(`${name}:${id}`, {
        payload,
        expiresAt: expiresIn === undefined ? undefined : now() + expiresIn * 1000,
      })
      return Promise.resolve()
    },
    find: (id) => Promise.resolve(live(`${name}:${id}`)),
    findByUid: (uid) => findBy(name, 'uid', uid),
    findByUserCode: (userCode) => findBy(name, 'userCode', userCode),
    consume(id) {
      const payload = live(`${name}:${id}`)
      if (payload !== undefined) payload.consumed = Math.floor(now() / 1000)
      return Promise.resolve()
    },
    destroy(id) {
      entries.delete(`${name}:${id}`)
      return Promise.resolve()
    },
    revokeByGrantId(grantId) {
      for (const key of [...entries.keys()]) {
        if (entries.peek(key)?.payload.grantId === grantId) entries.delete(key)
      }
      return Promise.resolve()
    },
  })
}
