import { recordAccess, withColumnSecurity } from '../../authz/index.ts'
import type { RecordOperation, RecordScope, TableDef } from '../../records/index.ts'
import type {
  ApiRequestContext,
  Caller,
  ODataHandler,
  ODataRequest,
  ODataResponse,
} from '../context.ts'
import { countCollection } from './count-collection.ts'
import { createEntity } from './create-entity.ts'
import { csdl } from './csdl.ts'
import { deleteEntity } from './delete-entity.ts'
import { deleteProperty, deleteReference } from './delete-property.ts'
import { DEFAULT_ODATA_LIMITS, type ODataDeps, type ODataLimits, type RecordsApi } from './deps.ts'
import { entityBodySchema, type EntityBodySchema } from './entity-body.ts'
import { entityDefinitions } from './entity-definitions.ts'
import { getProperty } from './get-property.ts'
import { methodNotAllowed, routeNotFound } from './odata-errors.ts'
import { entitySet, type Operation } from './operation.ts'
import { parsePath, type PathSegment } from './parse-path.ts'
import { parsePrefer } from './prefer.ts'
import { putProperty, putReference } from './put-property.ts'
import { queryCollection } from './query-collection.ts'
import { keyNotFound, resolveRecordKey, withKeyNotFound, type ResolvedKey } from './resolve-key.ts'
import { retrieveEntity } from './retrieve-entity.ts'
import { serviceDocument } from './service-document.ts'
import { createBusinessUnitEntity, deleteBusinessUnitEntity } from './business-unit-entity.ts'
import { RECORD_TEAM_ACTIONS, recordTeamAction } from './record-team-actions.ts'
import {
  createTeamTemplateEntity,
  deleteTeamTemplateEntity,
  refuseTeamTemplateChange,
} from './team-template-entity.ts'
import { roleAssociation, ROLE_ASSOCIATIONS } from './role-association.ts'
import { ROLE_OPERATIONS, roleOperation } from './role-privilege-actions.ts'
import {
  RETRIEVE_USER_PRIVILEGES,
  retrieveUserPrivilegesFunction,
} from './retrieve-user-privileges-function.ts'
import {
  TEAM_ACTIONS,
  TEAM_MEMBERSHIP,
  teamMembersAction,
  teamMembershipRef,
} from './team-members.ts'
import {
  RETRIEVE_PRINCIPAL_ACCESS,
  retrievePrincipalAccessFunction,
} from './retrieve-principal-access-function.ts'
import { retrieveSharedPrincipalsAndAccessFunction, sharingAction } from './sharing-actions.ts'
import { upsertEntity } from './upsert-entity.ts'
import { whoAmI } from './who-am-i.ts'

/**
 * Creates the OData handler of the Web API (dataverse-spec §7): the service document,
 * $metadata, WhoAmI, EntityDefinitions and the entity sets of an environment. Stateless: all
 * state lives in `deps.records`, which $batch replaces with a transaction-bound one per change
 * set. Every record operation asks authz recordAccess for the caller's scope.
 */
export function createODataHandler(deps: ODataDeps): ODataHandler {
  const limits: ODataLimits = { ...DEFAULT_ODATA_LIMITS, ...deps.limits }
  const bodySchema = entityBodySchema(limits)
  const access = callerAccess(deps.records)
  return async (api, req) => {
    const op = operation(access, limits, bodySchema, api, req)
    return route(op, parsePath(req.path))
  }
}

/** What a caller may use, worked out once per caller (see callerAccess). */
interface CallerAccess {
  /** The records API guarded by column security for the caller. */
  readonly records: RecordsApi
  /** recordAccess for the caller, memoised per table definition and operation. */
  readonly scopeOf: (table: TableDef, operation: RecordOperation) => RecordScope | undefined
}

/**
 * The column-security wrapper and the record scopes of each caller, kept as long as the
 * Caller object lives. Both are pure functions of the caller's security context and the table
 * definition, which never change in place: the server resolves a new Caller when the
 * environment's change stamp moves (a role, team or share change), and a catalog reload
 * replaces the TableDef, so a memoised answer is never stale. Only successful scopes are kept
 * (a FORBIDDEN is worked out, and thrown, afresh).
 */
function callerAccess(records: RecordsApi): (caller: Caller) => CallerAccess {
  const byCaller = new WeakMap<Caller, CallerAccess>()
  return (caller) => {
    let known = byCaller.get(caller)
    if (known === undefined) {
      const scopes = new WeakMap<TableDef, Map<RecordOperation, RecordScope | undefined>>()
      known = {
        // Column security (authz withColumnSecurity) guards every record operation.
        records: withColumnSecurity(records, caller),
        scopeOf: (table, operation) => {
          let byOperation = scopes.get(table)
          if (byOperation === undefined)
            scopes.set(table, (byOperation = new Map<RecordOperation, RecordScope | undefined>()))
          if (byOperation.has(operation)) return byOperation.get(operation)
          const scope = recordAccess(caller, table, operation)
          byOperation.set(operation, scope)
          return scope
        },
      }
      byCaller.set(caller, known)
    }
    return known
  }
}

function operation(
  accessOf: (caller: Caller) => CallerAccess,
  limits: ODataLimits,
  bodySchema: EntityBodySchema,
  api: ApiRequestContext,
  req: ODataRequest,
): Operation {
  const env = api.environment.id
  const access = accessOf(api.caller)
  const records = access.records
  let tables: Promise<readonly TableDef[]> | undefined
  return {
    records,
    scopeOf: access.scopeOf,
    limits,
    api,
    req,
    env,
    prefer: parsePrefer(req.headers['prefer'], limits.maxPageSize),
    tables: () => (tables ??= records.listTables(env)),
    bodySchema,
  }
}

async function route(op: Operation, segments: readonly PathSegment[]): Promise<ODataResponse> {
  const method = op.req.method
  const [first, second, third, ...rest] = segments
  if (first === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method, 'the service document')
    return serviceDocument(op)
  }
  switch (first.name) {
    case '$metadata':
      if (first.key !== undefined || second !== undefined) throw routeNotFound()
      if (method !== 'GET') throw methodNotAllowed(method, '$metadata')
      return csdl(op)
    case 'WhoAmI':
      if ((first.key !== undefined && first.key !== '') || second !== undefined) {
        throw routeNotFound()
      }
      if (method !== 'GET') throw methodNotAllowed(method, 'WhoAmI')
      return whoAmI(op)
    case 'EntityDefinitions':
      return entityDefinitions(op, segments)
    case 'GrantAccess':
    case 'ModifyAccess':
    case 'RevokeAccess':
      // Unbound actions of the security model (issue #5, docs/authz.md).
      if (first.key !== undefined || second !== undefined) throw routeNotFound()
      if (method !== 'POST') throw methodNotAllowed(method, first.name)
      return sharingAction(op, first.name)
    case 'RetrieveSharedPrincipalsAndAccess':
      if (second !== undefined) throw routeNotFound()
      if (method !== 'GET') throw methodNotAllowed(method, first.name)
      return retrieveSharedPrincipalsAndAccessFunction(op, first.key)
    default:
      break
  }
  if (rest.length > 0) throw routeNotFound()
  const table = await entitySet(op, first.name)
  // The privilege catalog is read-only (docs/authz.md §3): privileges come with tables.
  if (table.name === 'privilege' && method !== 'GET') {
    throw methodNotAllowed(method, 'the privileges entity set (read-only)')
  }
  if (first.key === undefined) {
    if (second === undefined) {
      if (method === 'GET') return queryCollection(op, table)
      if (method === 'POST') {
        return table.name === 'businessunit'
          ? createBusinessUnitEntity(op, table)
          : table.name === 'teamtemplate'
            ? createTeamTemplateEntity(op, table)
            : createEntity(op, table)
      }
      throw methodNotAllowed(method, 'an entity set')
    }
    if (second.name === '$count' && second.key === undefined && third === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method, '/$count')
      return countCollection(op, table)
    }
    throw routeNotFound(second.name)
  }
  const key = await resolveRecordKey(op, table, first.key)
  const id = key.id
  if (id === undefined) {
    // An alternate key that matches no record: only an upsert can create it.
    if (second === undefined) {
      if (method === 'PATCH') return upsertEntity(op, table, key)
      if (method !== 'GET' && method !== 'DELETE') throw methodNotAllowed(method, 'a record')
    }
    throw keyNotFound(table)
  }
  return withKeyNotFound(table, key, () => routeRecord(op, table, key, id, second, third))
}

async function routeRecord(
  op: Operation,
  table: TableDef,
  key: ResolvedKey,
  id: string,
  second: PathSegment | undefined,
  third: PathSegment | undefined,
): Promise<ODataResponse> {
  const method = op.req.method
  if (second === undefined) {
    switch (method) {
      case 'GET':
        return retrieveEntity(op, table, id)
      case 'PATCH':
        if (table.name === 'teamtemplate') await refuseTeamTemplateChange(op, table, key.id)
        return upsertEntity(op, table, key)
      case 'DELETE':
        return table.name === 'businessunit'
          ? deleteBusinessUnitEntity(op, table, id)
          : table.name === 'teamtemplate'
            ? deleteTeamTemplateEntity(op, table, id)
            : deleteEntity(op, table, id)
      default:
        throw methodNotAllowed(method, 'a record')
    }
  }
  if (second.name in ROLE_ASSOCIATIONS && third?.name === '$ref' && third.key === undefined) {
    return roleAssociation(op, table, id, second.name, second.key)
  }
  if (second.name in TEAM_ACTIONS && third === undefined && (second.key ?? '') === '') {
    return teamMembersAction(op, table, id, second.name)
  }
  if (second.name in RECORD_TEAM_ACTIONS && third === undefined && (second.key ?? '') === '') {
    return recordTeamAction(op, table, id, second.name)
  }
  if (second.name === TEAM_MEMBERSHIP && third?.name === '$ref' && third.key === undefined) {
    return teamMembershipRef(op, table, id, second.key)
  }
  if (second.name in ROLE_OPERATIONS && third === undefined && (second.key ?? '') === '') {
    return roleOperation(op, table, id, second.name)
  }
  if (
    second.name === RETRIEVE_USER_PRIVILEGES &&
    third === undefined &&
    (second.key ?? '') === ''
  ) {
    return retrieveUserPrivilegesFunction(op, table, id)
  }
  if (second.name === RETRIEVE_PRINCIPAL_ACCESS && third === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method, second.name)
    return retrievePrincipalAccessFunction(op, table, id, second.key)
  }
  if (second.key !== undefined) throw routeNotFound(second.name)
  if (third === undefined) {
    switch (method) {
      case 'GET':
        return getProperty(op, table, id, second.name, false)
      case 'PUT':
        return putProperty(op, table, id, second.name)
      case 'DELETE':
        return deleteProperty(op, table, id, second.name)
      default:
        throw methodNotAllowed(method, 'a property')
    }
  }
  if (third.key !== undefined) throw routeNotFound(third.name)
  if (third.name === '$value') {
    if (method !== 'GET') throw methodNotAllowed(method, '$value')
    return getProperty(op, table, id, second.name, true)
  }
  if (third.name === '$ref') {
    if (method === 'PUT') return putReference(op, table, id, second.name)
    if (method === 'DELETE') return deleteReference(op, table, id, second.name)
    throw methodNotAllowed(method, '$ref')
  }
  throw routeNotFound(third.name)
}
