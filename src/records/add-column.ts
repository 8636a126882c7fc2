import { AppError } from '../shared/errors.ts'
import { parseLogicalName } from '../shared/names.ts'
import { ENCRYPTABLE_TYPES, encryptionRefusal } from './cells/encryptable.ts'
import { parseColumnOptions } from './column-options.ts'
import { defaultDisplayName } from './entity-set-name.ts'
import type { RecordsContext } from './internal/context.ts'
import { parseDisplayName } from './internal/parse-display-name.ts'
import { findTable } from './internal/table-catalog.ts'
import { writeColumn } from './internal/table-ddl.ts'
import { COLUMN_TYPES, type ColumnDef, type ColumnOptions, type ColumnType } from './model.ts'
import { COMMON_SYSTEM_COLUMNS, OWNER_COLUMNS, RESERVED_COLUMN_NAMES } from './system-columns.ts'

/** A new column of an existing table. */
export interface AddColumnInput {
  /** Logical name: a-z first, then a-z, 0-9, '_'; at most 50 characters. */
  readonly name: string
  readonly type: ColumnType
  readonly displayName?: string
  /** Null is refused on create and update (existing rows keep null). Default false. */
  readonly required?: boolean
  /** Type-specific options; absent fields take the Dataverse defaults. */
  readonly options?: ColumnOptions
}

/**
 * Adds a column: ALTER TABLE ADD COLUMN and its `_columns` row in one transaction (SQLite DDL
 * is transactional). Options are validated per type and stored with defaults filled in. A
 * string or memo column may be created encrypted (`options.encrypted`, optionally with
 * `options.blindIndex`; see encryptColumn for the rules).
 *
 * @throws AppError NAME_INVALID (bad or reserved name), VALIDATION (type, options, lookup
 *   targets that don't exist), TABLE_NOT_FOUND, ALREADY_EXISTS (the table has the column)
 */
export async function addColumn(
  ctx: RecordsContext,
  tableName: string,
  input: AddColumnInput,
): Promise<ColumnDef> {
  const name = parseLogicalName(input.name, 'column name')
  if (RESERVED_COLUMN_NAMES.has(name)) {
    throw new AppError('NAME_INVALID', `'${name}' is reserved.`, {
      details: [{ path: 'column name', message: 'reserved name' }],
    })
  }
  if (!(COLUMN_TYPES as readonly unknown[]).includes(input.type)) {
    throw new AppError('VALIDATION', 'The column type is not supported.', {
      details: [{ path: 'type', message: `expected one of ${COLUMN_TYPES.join(', ')}` }],
    })
  }
  if (input.required !== undefined && typeof input.required !== 'boolean') {
    throw new AppError('VALIDATION', 'required must be true or false.', {
      details: [{ path: 'required', message: 'expected a boolean' }],
    })
  }
  if (input.options?.encrypted === true && !ENCRYPTABLE_TYPES.includes(input.type)) {
    throw new AppError('VALIDATION', `A ${input.type} column can't be encrypted.`, {
      details: [{ path: 'options.encrypted', message: 'only string and memo columns' }],
    })
  }
  const options = parseColumnOptions(input.type, input.options)
  const column: ColumnDef = {
    name,
    type: input.type,
    displayName:
      input.displayName === undefined
        ? defaultDisplayName(name)
        : parseDisplayName(input.displayName, 'displayName'),
    required: input.required ?? false,
    system: false,
    options,
  }
  await ctx.db.transaction().execute(async (trx) => {
    const catalog = await ctx.catalog(trx)
    const table = findTable(catalog, tableName)
    const taken = new Set<string>([
      ...COMMON_SYSTEM_COLUMNS,
      ...OWNER_COLUMNS,
      ...table.columns.map((c) => c.name),
    ])
    if (taken.has(name)) {
      throw new AppError(
        'ALREADY_EXISTS',
        `Table '${table.name}' already has a column '${name}'.`,
        {
          details: [{ path: 'column name', message: 'already in use' }],
        },
      )
    }
    if (options.encrypted === true) {
      const refusal = encryptionRefusal(table, column)
      if (refusal !== undefined) {
        throw new AppError('VALIDATION', `Column '${name}' can't be encrypted: ${refusal}.`, {
          details: [{ path: 'options.encrypted', message: refusal }],
        })
      }
    }
    for (const [i, target] of (options.targets ?? []).entries()) {
      if (!catalog.byName.has(target)) {
        throw new AppError('VALIDATION', `The lookup target table '${target}' does not exist.`, {
          details: [{ path: `options.targets.${i}`, message: 'no such table' }],
        })
      }
    }
    await writeColumn(trx, table, column, table.columns.length + 1)
  })
  return column
}
