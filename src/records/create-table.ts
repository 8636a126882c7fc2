import { writePrivilegeRows } from './internal/privilege-catalog.ts'
import { AppError } from '../shared/errors.ts'
import { parseLogicalName } from '../shared/names.ts'
import { STRING_MAX_LENGTH_LIMIT } from './column-defaults.ts'
import { defaultDisplayName, defaultEntitySetName } from './entity-set-name.ts'
import { buildTableDef } from './internal/build-table-def.ts'
import { nowText, type RecordsContext } from './internal/context.ts'
import { parseDisplayName } from './internal/parse-display-name.ts'
import { writeTable } from './internal/table-ddl.ts'
import type { TableCatalog } from './internal/table-catalog.ts'
import type { OwnershipType, TableDef } from './model.ts'
import { COMMON_SYSTEM_COLUMNS, OWNER_COLUMNS, RESERVED_COLUMN_NAMES } from './system-columns.ts'

/** A new custom table. */
export interface CreateTableInput {
  /** Logical name: a-z first, then a-z, 0-9, '_'; at most 50 characters. */
  readonly name: string
  readonly displayName?: string
  /** Default: the plural of `name` (see defaultEntitySetName). */
  readonly entitySetName?: string
  readonly ownership: OwnershipType
  /** Logical name of the primary name column (a string column). Default 'name'. */
  readonly primaryNameColumn?: string
  /** maxLength of the primary name column. Default 100. */
  readonly primaryNameMaxLength?: number
}

/**
 * Creates a table with its primary id, primary name and system columns, in one transaction.
 *
 * @throws AppError NAME_INVALID for a bad logical or entity set name, VALIDATION for other bad
 *   input, ALREADY_EXISTS when the name or entity set name is taken (as either)
 */
export async function createTable(ctx: RecordsContext, input: CreateTableInput): Promise<TableDef> {
  const name = parseLogicalName(input.name, 'table name')
  const entitySetName = parseLogicalName(
    input.entitySetName ?? defaultEntitySetName(name),
    'entity set name',
  )
  const ownership: unknown = input.ownership
  if (ownership !== 'user' && ownership !== 'organization') {
    throw new AppError('VALIDATION', "The ownership must be 'user' or 'organization'.", {
      details: [{ path: 'ownership', message: "expected 'user' or 'organization'" }],
    })
  }
  const primaryName = parseLogicalName(input.primaryNameColumn ?? 'name', 'primary name column')
  const reserved = new Set<string>([...COMMON_SYSTEM_COLUMNS, ...OWNER_COLUMNS, `${name}id`])
  if (reserved.has(primaryName) || RESERVED_COLUMN_NAMES.has(primaryName)) {
    throw new AppError('NAME_INVALID', `'${primaryName}' is a system column name.`, {
      details: [{ path: 'primary name column', message: 'reserved name' }],
    })
  }
  const maxLength = input.primaryNameMaxLength ?? 100
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > STRING_MAX_LENGTH_LIMIT) {
    throw new AppError('VALIDATION', 'The primary name maxLength must be 1 to 4000.', {
      details: [{ path: 'primaryNameMaxLength', message: 'expected 1 to 4000' }],
    })
  }
  const displayName =
    input.displayName === undefined
      ? defaultDisplayName(name)
      : parseDisplayName(input.displayName, 'displayName')
  const table = buildTableDef({
    name,
    entitySetName,
    displayName,
    ownership: input.ownership,
    system: false,
    primaryName: { name: primaryName, displayName: 'Name', maxLength },
  })
  await ctx.db.transaction().execute(async (trx) => {
    assertNamesFree(await ctx.catalog(trx), table)
    await writeTable(trx, table, nowText(ctx.clock))
    // Its eight privileges join the read-only privilege catalog (docs/authz.md §3).
    const systemUser = await trx
      .selectFrom('_env')
      .select('value')
      .where('key', '=', 'system_user_id')
      .executeTakeFirst()
    if (systemUser !== undefined) {
      await writePrivilegeRows(trx, [table], false, String(systemUser['value']), nowText(ctx.clock))
    }
  })
  return table
}

/**
 * A table's logical and entity set names must not be taken by any table as either kind, so
 * getTable(nameOrEntitySet) is never ambiguous.
 */
export function assertNamesFree(catalog: TableCatalog, table: TableDef): void {
  for (const [what, value] of [
    ['table name', table.name],
    ['entity set name', table.entitySetName],
  ] as const) {
    if (catalog.byName.has(value) || catalog.byEntitySet.has(value)) {
      throw new AppError('ALREADY_EXISTS', `A table already uses the name '${value}'.`, {
        details: [{ path: what, message: 'already in use' }],
      })
    }
  }
}
