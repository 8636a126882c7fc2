import type { TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import type { Right } from './privileges.ts'
import { rightAccess } from './record-access.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import { rightsOfMask, shareableTable, type SharingDeps } from './share-support.ts'

/** A team template as the access team operations use it. */
export interface TeamTemplate {
  readonly id: string
  readonly name: string
  readonly table: TableDef
  readonly accessMask: number
  readonly rights: readonly Right[]
}

/** @throws AppError FORBIDDEN unless the caller holds prv<right>teamtemplate at some depth */
export async function requireTemplatePrivilege(
  deps: SharingDeps,
  caller: Caller,
  right: Right,
): Promise<void> {
  rightAccess(caller, await deps.records.getTable(deps.env, 'teamtemplate'), right)
}

/** The template, its table and rights. @throws AppError RECORD_NOT_FOUND, VALIDATION */
export async function readTeamTemplate(deps: SharingDeps, id: string): Promise<TeamTemplate> {
  const row = await deps.records.retrieveRecord(deps.env, 'teamtemplate', id, {
    select: ['teamtemplatename', 'objecttypecode', 'defaultaccessrightsmask'],
  })
  const accessMask = Number(row['defaultaccessrightsmask'] ?? 0)
  return {
    id: String(row['teamtemplateid']),
    name: String(row['teamtemplatename']),
    table: await shareableTable(deps, String(row['objecttypecode'])),
    accessMask,
    rights: rightsOfMask(accessMask),
  }
}

/** The access teams created from a template (system-managed, one per record). */
export async function teamsOfTemplate(deps: SharingDeps, templateId: string): Promise<string[]> {
  const result = await deps.records.queryRecords(
    deps.env,
    'team',
    { count: false, select: ['teamid'] },
    {
      where: (eb) => eb(eb.ref('teamtemplateid'), '=', templateId.toLowerCase()),
      limit: SECURITY_ROWS_LIMIT,
    },
  )
  return result.records.map((r) => String(r['teamid']))
}

/** The system-managed access team of (record, template), if one was created. */
export async function recordTeamOf(
  deps: SharingDeps,
  recordId: string,
  templateId: string,
): Promise<string | undefined> {
  const result = await deps.records.queryRecords(
    deps.env,
    'team',
    { count: false, select: ['teamid'] },
    {
      where: (eb) =>
        eb.and([
          eb(eb.ref('regardingobjectid'), '=', recordId.toLowerCase()),
          eb(eb.ref('teamtemplateid'), '=', templateId.toLowerCase()),
        ]),
      limit: 1,
    },
  )
  const row = result.records[0]
  return row === undefined ? undefined : String(row['teamid'])
}

/**
 * Deletes a team with its shares (POA rows naming it), memberships and field security profile
 * memberships. For access teams, which hold no roles and own nothing.
 */
export async function deleteTeamCompletely(
  deps: SharingDeps,
  caller: Caller,
  teamId: string,
): Promise<void> {
  const actor = actorOf(caller)
  const rowsOf = async (table: string, column: string): Promise<string[]> => {
    const key = (await deps.records.getTable(deps.env, table)).primaryIdColumn
    const result = await deps.records.queryRecords(
      deps.env,
      table,
      { count: false, select: [key] },
      { where: (eb) => eb(eb.ref(column), '=', teamId), limit: SECURITY_ROWS_LIMIT },
    )
    return result.records.map((r) => String(r[key]))
  }
  for (const [table, column] of [
    ['principalobjectaccess', 'principalid'],
    ['principalobjectattributeaccess', 'principalid'],
    ['teammembership', 'teamid'],
    ['teamprofiles', 'teamid'],
  ] as const) {
    for (const id of await rowsOf(table, column)) {
      await deps.records.deleteRecord(deps.env, table, id, actor)
    }
  }
  await deps.records.deleteRecord(deps.env, 'team', teamId, actor)
}

/** @throws AppError VALIDATION for an empty or overlong template name */
export function requireTemplateName(name: string): void {
  if (name.trim() === '') {
    throw new AppError('VALIDATION', 'A team template needs a name.', {
      details: [{ path: 'teamtemplatename', message: 'required' }],
    })
  }
}
