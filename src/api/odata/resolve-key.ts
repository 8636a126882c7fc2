import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { Operation } from './operation.ts'
import { parseRecordKey } from './parse-key.ts'

/** A key segment resolved against the environment. */
export interface ResolvedKey {
  /** The record's id; undefined when an alternate key matched no record. */
  readonly id: string | undefined
  /** The alternate key's column values, when the URL named one (column → client value). */
  readonly alternate?: Readonly<Record<string, unknown>>
}

/**
 * Resolves `<set>(<key>)` to a record id: the GUID itself, or the record an alternate key's
 * values identify (records.findRecordIdByKey: a parameterised lookup on the key's UNIQUE
 * index). The lookup is unscoped; every operation that follows reads or writes through the
 * caller's scope, and a record outside it is reported exactly as a missing one (see
 * withKeyNotFound), so the id found here is never revealed.
 *
 * @throws AppError QUERY_INVALID, ALTERNATE_KEY_UNDEFINED, RECORD_INVALID (a key value that
 *   doesn't fit its column)
 */
export async function resolveRecordKey(
  op: Operation,
  table: TableDef,
  text: string,
): Promise<ResolvedKey> {
  const key = parseRecordKey(text, table)
  if (key.kind === 'id') return { id: key.id }
  const id = await op.records.findRecordIdByKey(op.env, table.name, key.values)
  return { id, alternate: key.values }
}

/** Dataverse's 404 for an alternate key that matches no record (0x80040217 here). */
export const keyNotFound = (table: TableDef): AppError =>
  new AppError(
    'RECORD_NOT_FOUND',
    `A record with the specified key values does not exist in ${table.name} entity`,
  )

/**
 * Runs an operation on a record addressed by `key`. When an alternate key addressed it, any
 * RECORD_NOT_FOUND (whose message would name the id) becomes keyNotFound.
 */
export async function withKeyNotFound<T>(
  table: TableDef,
  key: ResolvedKey,
  run: () => Promise<T>,
): Promise<T> {
  if (key.alternate === undefined) return run()
  try {
    return await run()
  } catch (e) {
    if (e instanceof AppError && e.code === 'RECORD_NOT_FOUND') throw keyNotFound(table)
    throw e
  }
}
