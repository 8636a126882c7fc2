import { randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3-multiple-ciphers'
import {
  RawNode,
  DeleteQueryNode,
  InsertQueryNode,
  UpdateQueryNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely'

/**
 * Tells whether a database may have changed since a value was cached from it, exactly rather
 * than by time: `PRAGMA data_version` moves when another connection (another process: the CLI,
 * another node) commits, and the plugin counts this connection's own writes and DDL. Caches
 * keyed by the stamp are therefore never stale — a lock, a role change or a deleted client
 * takes effect on the next request.
 *
 * `PRAGMA data_version` is read at most once per turn of the event loop: every request served
 * in the same turn sees the value read first in it, as if all had read it at that moment (a
 * commit by another process can land between reading a stamp and using it either way). The
 * count of this connection's own writes is always current.
 */
export interface ChangeStamp {
  /** A value that differs whenever the database may have changed. */
  current(): string
  /** The Kysely plugin that counts this connection's writes; install it on the instance. */
  readonly plugin: KyselyPlugin
}

const READ_ONLY_RAW = /^\s*(?:select|with|explain|pragma\s+[a-z_]+\s*(?:\(|$))/i

export function createChangeStamp(raw: Database.Database): ChangeStamp {
  // data_version and the write counter both restart with a new connection, so a reopened
  // database could repeat an old stamp; a random epoch per connection makes stamps unique.
  const epoch = randomBytes(9).toString('base64url')
  let localWrites = 0
  const dataVersion = raw.prepare('PRAGMA data_version').pluck()
  let version: string | undefined
  const forget = (): void => {
    version = undefined
  }
  const readVersion = (): string => {
    if (version === undefined) {
      version = String(dataVersion.get())
      setImmediate(forget).unref()
    }
    return version
  }
  const writes = (node: RootOperationNode): boolean =>
    InsertQueryNode.is(node) ||
    UpdateQueryNode.is(node) ||
    DeleteQueryNode.is(node) ||
    !('kind' in node) ||
    node.kind.startsWith('Create') ||
    node.kind.startsWith('Alter') ||
    node.kind.startsWith('Drop') ||
    (RawNode.is(node) && !READ_ONLY_RAW.test(node.sqlFragments.join('')))
  return {
    current: () => `${epoch}:${readVersion()}:${String(localWrites)}`,
    plugin: {
      transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
        // Counted before the statement runs, so a value cached while a write is in flight is
        // already stale when the write lands.
        if (writes(args.node)) {
          localWrites += 1
          // A write may have waited for the lock (busy timeout): read data_version afresh.
          version = undefined
        }
        return args.node
      },
      transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
        return Promise.resolve(args.result)
      },
    },
  }
}
