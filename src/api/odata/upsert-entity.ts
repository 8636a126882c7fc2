import { actorOf } from '../../authz/index.ts'
import type { TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { represent } from './create-entity.ts'
import { parseCondition, type Condition } from './etag.ts'
import { recordNotFound, withDataverseNotFound } from './odata-errors.ts'
import { changeScope, requireChangeRights } from './change-access.ts'
import { entityData, scopeFor, visible, withScope, type Operation } from './operation.ts'
import { keyNotFound, type ResolvedKey } from './resolve-key.ts'
import { singleRecordOptions } from './retrieve-entity.ts'

/** dataverse-spec §7 Concurrency: the 412 messages of Dataverse. */
export const versionMismatch = (): AppError =>
  new AppError(
    'CONCURRENCY_MISMATCH',
    "The version of the existing record doesn't match the RowVersion property provided.",
  )

const alreadyExists = (): AppError =>
  new AppError('RECORD_DUPLICATE', 'A record with matching key values already exists.')

/** Rewrites records' concurrency error with Dataverse's message. */
export async function withVersionMismatch<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof AppError && e.code === 'CONCURRENCY_MISMATCH') throw versionMismatch()
    throw e
  }
}

/** For an If-Match that can match no version: 404 when the record is missing, 412 otherwise. */
export async function failUnmatchable(op: Operation, table: TableDef, id: string): Promise<never> {
  await withDataverseNotFound(table.name, id, () =>
    op.records.retrieveRecord(op.env, table.name, id, {
      select: [table.primaryIdColumn],
      ...withScope(scopeFor(op, table, 'retrieve')),
    }),
  )
  throw versionMismatch()
}

/** The expected version for records, or undefined for `*` / no header. */
export const expectedVersion = (c: Condition): string | undefined =>
  c.kind === 'version' ? c.version : undefined

/**
 * PATCH /<entityset>(<id>) or (<alternate key>): update or upsert (dataverse-spec §7
 * Concurrency, upsert):
 * - `If-Match: W/"n"` updates only that version (412 otherwise, 404 when missing);
 * - `If-Match: *` updates only (404 when missing);
 * - `If-None-Match: *` creates only (412 "A record with matching key values already exists.");
 * - no condition: updates, or creates the record when it doesn't exist — with the id of the
 *   URL, or for an alternate key with a new id (or the body's) and the key's values set.
 * 204 (+ OData-EntityId); with return=representation 200 after an update, 201 after a create.
 */
export async function upsertEntity(
  op: Operation,
  table: TableDef,
  key: ResolvedKey,
): Promise<ODataResponse> {
  const options = op.prefer.returnRepresentation ? singleRecordOptions(op, table) : undefined
  const ifMatch = parseCondition(op.req.headers['if-match'])
  const ifNoneMatch = parseCondition(op.req.headers['if-none-match'])
  const data = await entityData(op, table, op.req.body)
  const given = data[table.primaryIdColumn]
  if (
    given !== undefined &&
    (typeof given !== 'string' || (key.id !== undefined && given.toLowerCase() !== key.id))
  ) {
    throw new AppError('RECORD_INVALID', "The primary id in the body doesn't match the URL.", {
      details: [{ path: table.primaryIdColumn, message: 'differs from the key in the URL' }],
    })
  }
  const changes = Object.fromEntries(
    Object.entries(data).filter(([name]) => name !== table.primaryIdColumn),
  )
  if (ifNoneMatch.kind === 'any' && ifMatch.kind !== 'none') {
    throw new AppError('VALIDATION', 'If-Match and If-None-Match: * exclude each other.')
  }
  if (key.id === undefined) {
    // An alternate key that matches no record.
    if (ifMatch.kind !== 'none') throw keyNotFound(table)
    const created = await createByKey(op, table, key.alternate ?? {}, changes, given)
    return represent(op, table, created, 204, 201, options)
  }
  const id = key.id
  const create = async (): Promise<ODataResponse> => {
    await op.records.createRecord(
      op.env,
      table.name,
      { ...changes, [table.primaryIdColumn]: id },
      {
        ...actorOf(op.api.caller),
        ...withScope(changeScope(op, table, 'create', changes)),
      },
    )
    return represent(op, table, id, 204, 201, options)
  }
  const update = async (): Promise<ODataResponse> => {
    const version = expectedVersion(ifMatch)
    const scope = changeScope(op, table, 'update', changes)
    await requireChangeRights(op, table, id, changes)
    await withVersionMismatch(() =>
      op.records.updateRecord(op.env, table.name, id, changes, {
        ...actorOf(op.api.caller),
        ...(version === undefined ? {} : { ifVersion: version }),
        ...withScope(scope),
      }),
    )
    return represent(op, table, id, 204, 200, options)
  }

  if (ifNoneMatch.kind === 'any') {
    if (key.alternate !== undefined) {
      // The key's record exists: "already exists" if the caller can see it, else not found.
      throw (await visible(op, table, id)) ? alreadyExists() : keyNotFound(table)
    }
    try {
      return await create()
    } catch (e) {
      if (e instanceof AppError && e.code === 'RECORD_DUPLICATE') {
        // "Already exists" only for a record the caller can see; otherwise answer as for any
        // record outside its scope, so existence can't be probed (same as the plain upsert).
        throw (await visible(op, table, id)) ? alreadyExists() : recordNotFound(table.name, id)
      }
      throw e
    }
  }
  if (ifMatch.kind === 'never') return failUnmatchable(op, table, id)
  if (ifMatch.kind !== 'none') return withDataverseNotFound(table.name, id, update)
  try {
    return await update()
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'RECORD_NOT_FOUND') throw e
  }
  try {
    return await create()
  } catch (e) {
    // It exists but the caller can't see it: answer as for any record outside the scope.
    if (e instanceof AppError && e.code === 'RECORD_DUPLICATE') throw recordNotFound(table.name, id)
    throw e
  }
}

/**
 * Creates the record an alternate key named but no record has: the key's values from the URL
 * plus the body. A body value of a key column must not contradict the URL. Another request
 * creating the same key first makes the UNIQUE index refuse this one: 412 duplicate.
 *
 * @returns the new record's id
 */
async function createByKey(
  op: Operation,
  table: TableDef,
  values: Readonly<Record<string, unknown>>,
  changes: Readonly<Record<string, unknown>>,
  givenId: unknown,
): Promise<string> {
  for (const [name, value] of Object.entries(values)) {
    if (
      Object.hasOwn(changes, name) &&
      String(changes[name]).toLowerCase() !== String(value).toLowerCase()
    ) {
      throw new AppError(
        'RECORD_INVALID',
        `The value of '${name}' in the body doesn't match the key in the URL.`,
        {
          details: [{ path: name, message: 'differs from the key in the URL' }],
        },
      )
    }
  }
  try {
    return await op.records.createRecord(
      op.env,
      table.name,
      {
        ...changes,
        ...values,
        ...(typeof givenId === 'string' ? { [table.primaryIdColumn]: givenId } : {}),
      },
      {
        ...actorOf(op.api.caller),
        ...withScope(changeScope(op, table, 'create', { ...changes, ...values })),
      },
    )
  } catch (e) {
    if (e instanceof AppError && e.code === 'RECORD_DUPLICATE') throw alreadyExists()
    throw e
  }
}
