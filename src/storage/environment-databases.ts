import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3-multiple-ciphers'
import { Kysely } from 'kysely'
import { AppError } from '../shared/errors.ts'
import { isGuid, type EnvironmentId } from '../shared/ids.ts'
import { Lru } from '../shared/lru.ts'
import type { Secret } from '../shared/secret.ts'
import { openEncryptedDatabase, type PageCipher } from './sqlite/open-encrypted-database.ts'
import { createChangeStamp, type ChangeStamp } from './sqlite/change-stamp.ts'
import { sqliteDialect, type SyncReader } from './sqlite/sqlite-dialect.ts'

/** Tables are defined at run time, so the database type is open. */
export type DynamicDb = Record<string, Record<string, unknown>>
export type EnvDb = Kysely<DynamicDb>

export interface EnvironmentDatabasesOptions {
  /** Directory that holds one `<environment id>.db` file per environment. */
  readonly dir: string
  /** Open handles kept at most; the least recently used is closed past this. */
  readonly capacity: number
  readonly cipher: PageCipher
  readonly pageCacheKiB: number
  readonly synchronous: 'full' | 'normal'
  readonly busyTimeoutMs: number
  /**
   * Unwraps the environment's data encryption key. Called on every cold open, so a revoked
   * key stops new opens at once. The returned Secret is zeroed right after the file is keyed.
   */
  readonly resolveKey: (id: EnvironmentId) => Promise<Secret>
  /**
   * Unwraps the environment's field-encryption key (cell-level encryption). Called at most once
   * per open handle, on first use; the key is held with the handle and zeroed when it closes
   * (lock, delete, purge, LRU). Without it, `fieldKey()` refuses with KEY_UNAVAILABLE.
   */
  readonly resolveFieldKey?: (id: EnvironmentId) => Promise<Secret>
  /** Runs after each open (schema migrations), before the handle is shared. */
  readonly onOpen: (db: EnvDb) => Promise<void>
  /**
   * Opens a file. Always openEncryptedDatabase in the product; the storage benchmark injects
   * an unencrypted opener to measure the cost of encryption. Not reachable from configuration:
   * encryption at rest can't be turned off.
   */
  readonly openFile?: typeof openEncryptedDatabase
}

interface Entry {
  readonly raw: Database.Database
  readonly db: EnvDb
  readonly reader: SyncReader
  readonly changes: ChangeStamp
  refs: number
  closing: boolean
  /** The field key, unwrapped on first use and zeroed when the handle closes. */
  fieldKey?: Promise<Secret>
  /** Keys derived from the field key (derivedKey), zeroed with it. */
  readonly derived: Map<string, Secret>
  /** What `use` hands its callbacks: one object per open handle. */
  handle?: OpenEnvironment
}

/** The keys of an open environment, valid while the `use` callback runs. */
/** What `use` hands its callback besides the Kysely instance. */
export interface OpenEnvironment extends OpenEnvironmentKeys {
  /** Runs one read statement now when no transaction holds the connection. */
  readonly reader: SyncReader
}

export interface OpenEnvironmentKeys {
  /**
   * The environment's field-encryption key, unwrapped once per open handle. The Secret is
   * shared: don't dispose it, and don't keep it past the `use` callback.
   */
  readonly fieldKey: () => Promise<Secret>
  /**
   * A key derived from the field key by `derive` (for example a column's HKDF key), derived
   * once per open handle under `name` and zeroed with the field key when the handle closes, so
   * a read doesn't pay a key derivation per request. `name` must identify `derive` (one name,
   * one derivation). Once derived on this handle the key itself is returned, synchronously, so
   * a point read of encrypted columns stays on the synchronous path; the first use returns a
   * promise (the field key may need unwrapping). The Secret is shared: don't dispose it, and
   * don't keep it past the `use` callback.
   */
  readonly derivedKey: (
    name: string,
    derive: (fieldKey: Secret) => Secret,
  ) => Secret | Promise<Secret>
}

/**
 * The open environment databases of this node: an LRU of handles, so one node can hold any
 * number of environments on disk with bounded open files and memory (capacity × page cache).
 */
export interface EnvironmentDatabases {
  /**
   * Runs `fn` with the environment's database, opening it first if it is cold. `handle` offers
   * single reads on the same connection without Kysely's hand-off (when no transaction holds
   * it) and the environment's field key.
   */
  use<T>(id: EnvironmentId, fn: (db: EnvDb, handle: OpenEnvironment) => Promise<T>): Promise<T>
  /** Creates the database file of a new environment, keyed with `key`, and runs onOpen. */
  create(id: EnvironmentId, key: Secret): Promise<void>
  /** Closes the handle (when idle) and forgets its key: used on lock, delete and purge. */
  evict(id: EnvironmentId): void
  /** Deletes the files of a purged environment. */
  removeFiles(id: EnvironmentId): void
  pathOf(id: EnvironmentId): string
  /**
   * The change stamp of an open environment database (see ChangeStamp), or undefined when it
   * isn't open: a cache keyed by it is never stale.
   */
  stamp(id: EnvironmentId): string | undefined
  readonly openCount: number
  closeAll(): Promise<void>
}

export function createEnvironmentDatabases(
  options: EnvironmentDatabasesOptions,
): EnvironmentDatabases {
  /** Closes the file and zeroes the field key (DESIGN invariant 3: keys leave with the handle). */
  const finish = (entry: Entry): void => {
    if (entry.raw.open) entry.raw.close()
    for (const key of entry.derived.values()) key.dispose()
    entry.derived.clear()
    entry.fieldKey?.then(
      (key) => {
        key.dispose()
      },
      () => undefined,
    )
  }
  const closeEntry = (entry: Entry): void => {
    entry.closing = true
    if (entry.refs === 0) finish(entry)
  }
  const handles = new Lru<EnvironmentId, Entry>(options.capacity, (_id, entry) => {
    closeEntry(entry)
  })
  const opening = new Map<EnvironmentId, Promise<Entry>>()
  const fieldKeyOf = (id: EnvironmentId, entry: Entry): Promise<Secret> => {
    if (entry.fieldKey !== undefined) return entry.fieldKey
    const resolve = options.resolveFieldKey
    if (resolve === undefined) {
      return Promise.reject(
        new AppError('KEY_UNAVAILABLE', 'Cell-level encryption is not configured on this node.'),
      )
    }
    const pending = resolve(id)
    entry.fieldKey = pending
    // A failed unwrap is not kept: the next use asks again (a passing outage heals).
    pending.catch(() => {
      if (entry.fieldKey === pending) delete entry.fieldKey
    })
    return pending
  }

  const derivedKeyOf = (
    id: EnvironmentId,
    entry: Entry,
    name: string,
    derive: (fieldKey: Secret) => Secret,
  ): Secret | Promise<Secret> => entry.derived.get(name) ?? deriveFirst(id, entry, name, derive)

  const deriveFirst = async (
    id: EnvironmentId,
    entry: Entry,
    name: string,
    derive: (fieldKey: Secret) => Secret,
  ): Promise<Secret> => {
    const fieldKey = await fieldKeyOf(id, entry)
    // Another caller may have derived it while this one waited for the field key.
    const raced = entry.derived.get(name)
    if (raced !== undefined) return raced
    const key = derive(fieldKey)
    entry.derived.set(name, key)
    return key
  }

  const pathOf = (id: EnvironmentId): string => {
    // Ids are parsed GUIDs; this re-check keeps any other string away from the file system.
    if (!isGuid(id)) throw new AppError('VALIDATION', 'The environment id is not a GUID.')
    return join(options.dir, `${id}.db`)
  }

  const openEntry = async (id: EnvironmentId, key: Secret, create: boolean): Promise<Entry> => {
    let raw: Database.Database
    try {
      raw = (options.openFile ?? openEncryptedDatabase)(pathOf(id), key, {
        cipher: options.cipher,
        create,
        pageCacheKiB: options.pageCacheKiB,
        synchronous: options.synchronous,
        busyTimeoutMs: options.busyTimeoutMs,
        corruptCode: 'DATABASE_CORRUPT',
        what: 'environment database',
      })
    } finally {
      key.dispose()
    }
    const changes = createChangeStamp(raw)
    const dialect = sqliteDialect({
      database: raw,
      safeIntegers: true,
      corruptCode: 'DATABASE_CORRUPT',
    })
    const db = new Kysely<DynamicDb>({ plugins: [changes.plugin], dialect })
    try {
      await options.onOpen(db)
    } catch (e) {
      raw.close()
      throw e
    }
    return {
      raw,
      db,
      reader: dialect.reader,
      changes,
      refs: 0,
      closing: false,
      derived: new Map(),
    }
  }

  // Ids evicted while their open was in flight: the opened handle must not be cached (a lock
  // or delete that raced with a cold open would otherwise be undone).
  const evictedWhileOpening = new Set<EnvironmentId>()

  /** Returns the entry with a reference already taken, so no eviction can close it. */
  const acquire = async (id: EnvironmentId): Promise<Entry> => {
    const hot = handles.get(id)
    if (hot !== undefined && !hot.closing) {
      hot.refs += 1
      return hot
    }
    let pending = opening.get(id)
    if (pending === undefined) {
      evictedWhileOpening.delete(id)
      pending = (async () => openEntry(id, await options.resolveKey(id), false))()
      opening.set(id, pending)
      pending.then(
        (entry) => {
          opening.delete(id)
          if (evictedWhileOpening.delete(id)) closeEntry(entry)
          else handles.set(id, entry)
        },
        () => opening.delete(id),
      )
    }
    const entry = await pending
    if (entry.closing) {
      // Evicted between the open and this waiter resuming: open again (which asks for the key
      // again, so a lock in between is honoured).
      if (entry.refs === 0) finish(entry)
      return acquire(id)
    }
    entry.refs += 1
    return entry
  }

  /** Runs `fn` on an entry whose reference the caller took; releases it when `fn` settles. */
  const runOn = async <T>(
    id: EnvironmentId,
    entry: Entry,
    fn: (db: EnvDb, handle: OpenEnvironment) => Promise<T>,
  ): Promise<T> => {
    entry.handle ??= {
      reader: entry.reader,
      fieldKey: () => fieldKeyOf(id, entry),
      derivedKey: (name, derive) => derivedKeyOf(id, entry, name, derive),
    }
    try {
      return await fn(entry.db, entry.handle)
    } finally {
      entry.refs -= 1
      if (entry.closing && entry.refs === 0) finish(entry)
    }
  }

  return {
    use(id, fn) {
      // A hot handle is taken synchronously (no promise hop before `fn` runs).
      const hot = handles.get(id)
      if (hot !== undefined && !hot.closing) {
        hot.refs += 1
        return runOn(id, hot, fn)
      }
      return acquire(id).then((entry) => runOn(id, entry, fn))
    },
    async create(id, key) {
      const entry = await openEntry(id, key, true)
      handles.set(id, entry)
    },
    evict(id) {
      if (opening.has(id)) evictedWhileOpening.add(id)
      const entry = handles.delete(id)
      if (entry !== undefined) closeEntry(entry)
    },
    removeFiles(id) {
      this.evict(id)
      const base = pathOf(id)
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(base + suffix, { force: true })
    },
    pathOf,
    stamp(id) {
      const entry = handles.peek(id)
      return entry === undefined || entry.closing || !entry.raw.open
        ? undefined
        : entry.changes.current()
    },
    get openCount() {
      let n = 0
      for (const e of handles.values()) if (e.raw.open) n += 1
      return n
    },
    async closeAll() {
      for (const id of [...handles.keys()]) this.evict(id)
      await Promise.all([...opening.values()].map((p) => p.then(closeEntry, () => undefined)))
    },
  }
}
