import { z } from 'zod'
import type { ColumnDef, TableDef } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataLimits } from './deps.ts'
import { quoteName } from './odata-errors.ts'
import { parseRecordKey } from './parse-key.ts'

const BIND = '@odata.bind'
/** Annotations a client may echo back from a read; they are ignored. */
const IGNORED = new Set(['@odata.context', '@odata.etag', '@odata.id', '@odata.editLink'])
/** `/accounts(<guid>)`, `accounts(<guid>)` or a full URL ending in that. */
const BIND_URL =
  /^(?:https:\/\/[^?#\s]{1,1024}\/|\/)?([A-Za-z_][A-Za-z0-9_]{0,127})\(([^()]{1,200})\)$/
const MAX_BIND_LENGTH = 2048

/** The zod schema of an entity body, for the given limits (STYLE §6). */
export function entityBodySchema(limits: ODataLimits) {
  return z
    .record(z.string().min(1).max(limits.maxPropertyNameLength), z.unknown())
    .refine((o) => Object.keys(o).length <= limits.maxBodyProperties, {
      message: `at most ${limits.maxBodyProperties} properties`,
    })
}

export type EntityBodySchema = ReturnType<typeof entityBodySchema>

/**
 * Checks a create/update body (dataverse-spec §7) and turns it into column values for the
 * records service: plain columns pass through (records validates their values), and
 * `<navigation>@odata.bind` becomes the lookup column's id. A lookup column can only be set
 * by binding. Unknown properties are refused the way Dataverse does (0x80060888).
 *
 * @param tableBySet resolves an entity set name in a bind URL to its table
 * @throws AppError VALIDATION (not an object, too many or too long names), COLUMN_NOT_FOUND,
 *   RECORD_INVALID (bad bind, lookup written directly, nested objects)
 */
export async function parseEntityBody(
  table: TableDef,
  body: unknown,
  schema: EntityBodySchema,
  tableBySet: (set: string) => Promise<TableDef | undefined>,
  /**
   * Whether the caller may bind `column` to record `id` of `table`. A bound record the caller
   * can't see is refused exactly like one that doesn't exist, so binding can't probe for
   * existence; it may also throw (a 403 for a missing Append To right).
   */
  canSee: (table: TableDef, id: string, column: ColumnDef) => Promise<boolean> = () =>
    Promise.resolve(true),
  /**
   * The id of the record a bind URL's key addresses (a GUID or an alternate key), undefined
   * when no record has that alternate key. Default: GUID keys only.
   */
  resolveKey: (table: TableDef, key: string) => Promise<string | undefined> = idOnly,
): Promise<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION', 'The request body must be a JSON object.', {
      details: [{ path: '', message: 'expected an object' }],
    })
  }
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'The request body is not a valid entity.', {
      details: parsed.error.issues.map((i) => ({
        path: i.path.length === 0 ? '' : '(property name)',
        message: i.message,
      })),
    })
  }
  const data = new Map<string, unknown>()
  const columns = new Map(table.columns.map((c) => [c.name, c]))
  for (const [name, value] of Object.entries(parsed.data)) {
    if (IGNORED.has(name) || name === '@odata.type') {
      if (name === '@odata.type' && value !== `#Microsoft.Dynamics.CRM.${table.name}`) {
        throw invalid(name, `expected #Microsoft.Dynamics.CRM.${table.name}`)
      }
      continue
    }
    if (name.endsWith(BIND)) {
      const [column, key, target] = await bind(
        table,
        name.slice(0, -BIND.length),
        value,
        tableBySet,
      )
      let id: string | null = null
      if (key !== null && target !== undefined) {
        const found = await resolveKey(target, key)
        if (found === undefined || !(await canSee(target, found, column))) {
          throw new AppError(
            'RECORD_INVALID',
            `Column '${column.name}': refers to a record that does not exist.`,
            { details: [{ path: column.name, message: 'refers to a record that does not exist' }] },
          )
        }
        id = found
      }
      setOnce(data, column.name, id)
      continue
    }
    const column = columns.get(name)
    if (column === undefined) {
      if (name.includes('@')) continue // other instance annotations carry no data
      throw new AppError(
        'COLUMN_NOT_FOUND',
        `The property ${quoteName(name)} does not exist on type 'Microsoft.Dynamics.CRM.${table.name}'. Make sure to only use property names that are defined by the type.`,
        { details: [{ path: quoteName(name), message: 'no such property' }] },
      )
    }
    if (column.type === 'lookup') {
      throw invalid(
        column.name,
        `a lookup is set with "${column.name}@odata.bind": "/<entityset>(<id>)"`,
      )
    }
    if (typeof value === 'object' && value !== null) {
      throw invalid(column.name, 'deep insert and nested objects are not supported')
    }
    setOnce(data, column.name, value)
  }
  return Object.fromEntries(data)
}

const invalid = (path: string, message: string): AppError =>
  new AppError('RECORD_INVALID', `The value of ${quoteName(path)} is invalid: ${message}.`, {
    details: [{ path: quoteName(path), message }],
  })

function setOnce(data: Map<string, unknown>, column: string, value: unknown): void {
  if (data.has(column)) throw invalid(column, 'the column is given more than once')
  data.set(column, value)
}

/**
 * Resolves `<nav>@odata.bind` to its lookup column, the key text of the bound URL (the caller
 * resolves it to an id) and the target table. The navigation is a lookup column (single
 * target), or `<column>_<target>` / the bare column for a lookup with several targets (the
 * URL's entity set picks the target then, as with Dataverse's `ownerid@odata.bind`). null
 * unbinds.
 */
async function bind(
  table: TableDef,
  nav: string,
  value: unknown,
  tableBySet: (set: string) => Promise<TableDef | undefined>,
): Promise<[ColumnDef, string | null, TableDef | undefined]> {
  let column = table.columns.find((c) => c.name === nav && c.type === 'lookup')
  let target: string | undefined
  if (column !== undefined) {
    const targets = column.options.targets ?? []
    if (targets.length === 1) target = targets[0]
  } else {
    column = table.columns.find(
      (c) =>
        c.type === 'lookup' &&
        (c.options.targets?.length ?? 0) > 1 &&
        c.options.targets?.some((t) => `${c.name}_${t}` === nav) === true,
    )
    if (column !== undefined) target = nav.slice(column.name.length + 1)
  }
  if (column === undefined) {
    throw new AppError(
      'COLUMN_NOT_FOUND',
      `An undeclared property ${quoteName(nav)} which only has property annotations in the payload but no property value was found in the payload. Table '${table.name}' has no navigation property of that name.`,
      { details: [{ path: quoteName(nav), message: 'no such navigation property' }] },
    )
  }
  if (value === null) return [column, null, undefined]
  if (typeof value !== 'string' || value.length > MAX_BIND_LENGTH) {
    throw invalid(`${nav}${BIND}`, 'expected a URL such as /accounts(<id>)')
  }
  const m = BIND_URL.exec(value)
  const set = m?.[1]
  const key = m?.[2]
  if (set === undefined || key === undefined) {
    throw invalid(`${nav}${BIND}`, 'expected a URL such as /accounts(<id>)')
  }
  const targetTable = await tableBySet(set)
  if (
    targetTable === undefined ||
    (target !== undefined && targetTable.name !== target) ||
    column.options.targets?.includes(targetTable.name) !== true
  ) {
    throw invalid(`${nav}${BIND}`, `the entity set can't be bound to ${column.name}`)
  }
  return [column, decodeKey(key), targetTable]
}

/** A bind URL's key, percent-decoded when it is validly encoded (clients encode key values). */
function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key)
  } catch {
    return key
  }
}

/** The default key resolver: a GUID or `<primaryid>=<guid>` only. */
function idOnly(table: TableDef, key: string): Promise<string | undefined> {
  const parsed = parseRecordKey(key, table)
  if (parsed.kind === 'id') return Promise.resolve(parsed.id)
  return Promise.reject(
    new AppError('QUERY_UNSUPPORTED', 'Alternate keys are not resolved in this context.'),
  )
}
