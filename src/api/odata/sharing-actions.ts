import {
  ACCESS_RIGHT_MASK,
  grantAccess,
  modifyAccess,
  retrieveSharedPrincipalsAndAccess,
  revokeAccess,
  RIGHTS,
  type PrincipalType,
} from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { entitySet, type Operation } from './operation.ts'

/** The sharing actions (dataverse-spec §3 Sharing), unbound, POST only. */
export type SharingAction = 'GrantAccess' | 'ModifyAccess' | 'RevokeAccess'

const invalid = (path: string, message: string): AppError =>
  new AppError('VALIDATION', `The ${path} parameter is not valid: ${message}.`, {
    details: [{ path, message }],
  })

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** An entity reference `{ "@odata.type": "Microsoft.Dynamics.CRM.<table>", "<table>id": … }`. */
function entityReference(value: unknown, path: string): { table: string; id: string } {
  if (!isObject(value)) throw invalid(path, 'expected an entity object')
  const type = value['@odata.type']
  const match =
    typeof type === 'string'
      ? /^#?Microsoft\.Dynamics\.CRM\.([a-z][a-z0-9_]{0,63})$/.exec(type)
      : null
  const table = match?.[1]
  if (table === undefined)
    throw invalid(path, 'expected @odata.type Microsoft.Dynamics.CRM.<table>')
  const id = value[`${table}id`]
  if (typeof id !== 'string' || id.length > 64) throw invalid(path, `expected ${table}id`)
  return { table, id }
}

// AccessRights member names (dataverse-spec §3): <Right>Access, e.g. ReadAccess.
const MASK_BY_NAME = new Map<string, number>([
  ['None', 0],
  ...RIGHTS.map((r) => [`${r}Access`, ACCESS_RIGHT_MASK[r]] as [string, number]),
])

/** AccessRights as OData enum flags ("ReadAccess, WriteAccess") or their integer value. */
function accessMask(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value !== 'string' || value.length > 300) {
    throw invalid('PrincipalAccess/AccessMask', 'expected AccessRights names')
  }
  let mask = 0
  for (const name of value.split(',').map((s) => s.trim())) {
    const flag = MASK_BY_NAME.get(name)
    if (flag === undefined)
      throw invalid('PrincipalAccess/AccessMask', 'expected AccessRights names')
    mask |= flag
  }
  return mask
}

function principal(
  value: unknown,
  path: string,
): { principalId: string; principalType: PrincipalType } {
  const ref = entityReference(value, path)
  if (ref.table !== 'systemuser' && ref.table !== 'team') {
    throw invalid(path, 'expected a systemuser or a team')
  }
  return { principalId: ref.id, principalType: ref.table }
}

/**
 * POST GrantAccess / ModifyAccess / RevokeAccess: the Web API form of the authz sharing
 * operations. `{ Target, PrincipalAccess: { Principal, AccessMask } }`, or for RevokeAccess
 * `{ Target, Revokee }`. Answers 204.
 *
 * @throws AppError VALIDATION, and the sharing operations' errors
 */
export async function sharingAction(op: Operation, action: SharingAction): Promise<ODataResponse> {
  const body = op.req.body
  if (!isObject(body)) throw invalid('body', 'expected a JSON object')
  const allowed = action === 'RevokeAccess' ? ['Target', 'Revokee'] : ['Target', 'PrincipalAccess']
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalid(key, 'unknown parameter')
  }
  const target = entityReference(body['Target'], 'Target')
  const deps = { records: op.records, env: op.env }
  const caller = op.api.caller
  if (action === 'RevokeAccess') {
    const revokee = principal(body['Revokee'], 'Revokee')
    await revokeAccess(deps, caller, target.table, target.id, revokee.principalId)
  } else {
    const access = body['PrincipalAccess']
    if (!isObject(access)) throw invalid('PrincipalAccess', 'expected an object')
    const share = {
      ...principal(access['Principal'], 'PrincipalAccess/Principal'),
      accessMask: accessMask(access['AccessMask']),
    }
    const run = action === 'GrantAccess' ? grantAccess : modifyAccess
    await run(deps, caller, target.table, target.id, share)
  }
  return { status: 204, headers: {} }
}

/** An AccessRights mask as OData enum flags, in flag order ("ReadAccess, WriteAccess"). */
export function accessMaskNames(mask: number): string {
  const names = RIGHTS.filter((r) => (mask & ACCESS_RIGHT_MASK[r]) !== 0)
    .sort((a, b) => ACCESS_RIGHT_MASK[a] - ACCESS_RIGHT_MASK[b])
    .map((r) => `${r}Access`)
  return names.length === 0 ? 'None' : names.join(', ')
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/**
 * The `Target=@alias` (or inline) parameter of a function: `{'@odata.id':'accounts(<id>)'}`,
 * single or double quoted, the id relative or absolute.
 */
export function targetParameter(op: Operation, key: string | undefined): string {
  const match = /^Target=(.{1,2048})$/.exec(key ?? '')
  let text = match?.[1]
  if (text?.startsWith('@') === true) text = op.req.query[text]
  if (text === undefined) throw invalid('Target', "expected Target={'@odata.id':'<set>(<id>)'}")
  let value: unknown
  try {
    value = JSON.parse(text.includes('"') ? text : text.replaceAll("'", '"'))
  } catch {
    throw invalid('Target', 'expected a JSON object')
  }
  const ref = isObject(value) ? value['@odata.id'] : undefined
  if (typeof ref !== 'string') throw invalid('Target', 'expected @odata.id')
  return ref.slice(ref.lastIndexOf('/') + 1)
}

/**
 * The record a function's `Target` parameter names: its table (by entity set) and id.
 *
 * @throws AppError VALIDATION, ROUTE_NOT_FOUND (entity set)
 */
export async function targetRecord(
  op: Operation,
  key: string | undefined,
): Promise<{ readonly table: TableDef; readonly id: string }> {
  const ref = /^([A-Za-z_][A-Za-z0-9_]{0,127})\((.{1,64})\)$/.exec(targetParameter(op, key))
  const id = ref?.[2]?.replace(/^'(.*)'$/, '$1')
  if (ref?.[1] === undefined || id === undefined || !GUID.test(id)) {
    throw invalid('Target', 'expected <entity set>(<id>)')
  }
  return { table: await entitySet(op, ref[1]), id }
}

/**
 * GET RetrieveSharedPrincipalsAndAccess(Target=@tid)?@tid={'@odata.id':'accounts(<id>)'}: every
 * principal the record is shared with and its rights (dataverse-spec §3 Sharing).
 *
 * @throws AppError VALIDATION, ROUTE_NOT_FOUND (entity set), and the domain function's errors
 */
export async function retrieveSharedPrincipalsAndAccessFunction(
  op: Operation,
  key: string | undefined,
): Promise<ODataResponse> {
  const { table, id } = await targetRecord(op, key)
  const shares = await retrieveSharedPrincipalsAndAccess(
    { records: op.records, env: op.env },
    op.api.caller,
    table.name,
    id,
  )
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveSharedPrincipalsAndAccessResponse`,
      PrincipalAccesses: shares.map((s) => ({
        AccessMask: accessMaskNames(s.accessMask),
        Principal: {
          '@odata.type': `#Microsoft.Dynamics.CRM.${s.principalType}`,
          ownerid: s.principalId,
        },
      })),
    },
  }
}
