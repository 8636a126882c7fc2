import type { RecordScope, TableDef } from '../../records/index.ts'
import type { RecordOperation } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import type { ApiRequestContext, ODataRequest } from '../context.ts'
import type { ODataLimits, RecordsApi } from './deps.ts'
import { canBind } from './change-access.ts'
import { parseEntityBody, type EntityBodySchema } from './entity-body.ts'
import { routeNotFound } from './odata-errors.ts'
import type { Preferences } from './prefer.ts'
import { resolveRecordKey } from './resolve-key.ts'

/** Everything one OData operation works with; built per request, never shared. */
export interface Operation {
  readonly records: RecordsApi
  /** The caller's scope on a table for an operation (authz recordAccess, memoised per caller). */
  readonly scopeOf: (table: TableDef, operation: RecordOperation) => RecordScope | undefined
  readonly limits: ODataLimits
  readonly api: ApiRequestContext
  readonly req: ODataRequest
  readonly env: EnvironmentId
  readonly prefer: Preferences
  /** Every table of the environment, read once per request when needed. */
  readonly tables: () => Promise<readonly TableDef[]>
  readonly bodySchema: EntityBodySchema
}

/**
 * Whether the caller can read record `id` of `table` (recordAccess pushed into SQL). Used so
 * that answers about records outside the caller's scope look like answers about records that
 * don't exist.
 */
export async function visible(op: Operation, table: TableDef, id: string): Promise<boolean> {
  let scope
  try {
    scope = scopeFor(op, table, 'retrieve')
  } catch (e) {
    if (e instanceof AppError && e.code === 'FORBIDDEN') return false
    throw e
  }
  if (scope === undefined) return true
  try {
    await op.records.retrieveRecord(op.env, table.name, id, {
      select: [table.primaryIdColumn],
      scope,
    })
    return true
  } catch (e) {
    if (e instanceof AppError && (e.code === 'RECORD_NOT_FOUND' || e.code === 'VALIDATION'))
      return false
    throw e
  }
}

/** The request body as column values for `table` (see parseEntityBody). */
export async function entityData(
  op: Operation,
  table: TableDef,
  body: unknown,
): Promise<Record<string, unknown>> {
  return parseEntityBody(
    table,
    body,
    op.bodySchema,
    async (set) => (await op.tables()).find((t) => t.entitySetName === set),
    (target, id, column) => canBind(op, column, target, id),
    async (target, key) => (await resolveRecordKey(op, target, key)).id,
  )
}

/**
 * The table behind an entity set name. records.getTable also accepts logical names; the Web
 * API only answers to entity set names (dataverse-spec §7 Endpoint).
 *
 * @throws AppError ROUTE_NOT_FOUND
 */
export async function entitySet(op: Operation, name: string): Promise<TableDef> {
  let table: TableDef
  try {
    table = await op.records.getTable(op.env, name)
  } catch (e) {
    if (e instanceof AppError && (e.code === 'TABLE_NOT_FOUND' || e.code === 'NAME_INVALID')) {
      throw routeNotFound(name)
    }
    throw e
  }
  if (table.entitySetName !== name) throw routeNotFound(name)
  return table
}

/** The caller's scope on `table` for `operation` (authz enforcement point). @throws FORBIDDEN */
export const scopeFor = (
  op: Operation,
  table: TableDef,
  operation: RecordOperation,
): RecordScope | undefined => op.scopeOf(table, operation)

/** `{ scope }` or `{}`, for options under exactOptionalPropertyTypes. */
export const withScope = (scope: RecordScope | undefined): { readonly scope?: RecordScope } =>
  scope === undefined ? {} : { scope }
