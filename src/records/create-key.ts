import { AppError } from '../shared/errors.ts'
import { parseLogicalName } from '../shared/names.ts'
import type { EnvDb } from '../storage/index.ts'
import { defaultDisplayName } from './entity-set-name.ts'
import { nowText, type RecordsContext } from './internal/context.ts'
import { parseDisplayName } from './internal/parse-display-name.ts'
import { columnOf } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import { isUniqueViolation } from './internal/unique-violation.ts'
import { KEY_COLUMN_TYPES, type KeyDef, type TableDef } from './model.ts'

/** A new alternate key of an existing table. */
export interface CreateKeyInput {
  /** Logical name of the key: a-z first, then a-z, 0-9, '_'; at most 50 characters. */
  readonly name: string
  readonly displayName?: string
  /** 1–16 distinct non-system columns of a key-able type (KEY_COLUMN_TYPES), in key order. */
  readonly columns: readonly string[]
}

/** Dataverse: at most 16 columns per key and 10 keys per table. */
export const MAX_KEY_COLUMNS = 16
export const MAX_KEYS_PER_TABLE = 10

/** The UNIQUE index behind a key; '.' can't occur in logical names, so it never collides. */
export const keyIndexName = (table: string, key: string): string => `_key.${table}.${key}`

const invalid = (path: string, message: string): AppError =>
  new AppError('VALIDATION', `The key is invalid: ${message}.`, { details: [{ path, message }] })

/**
 * Creates an alternate key (Dataverse EntityKeyMetadata): its `_keys` row and a UNIQUE index
 * over its columns, in one transaction. Creating the index checks the existing rows; when two
 * records already share the key values, nothing is created (no row, no index) and the error
 * says so. Records with a null in a key column stay unconstrained.
 *
 * @throws AppError NAME_INVALID (key name), VALIDATION (columns: count, duplicates, types,
 *   system columns; too many keys), TABLE_NOT_FOUND, COLUMN_NOT_FOUND, ALREADY_EXISTS (the
 *   name or the same column set), RECORD_DUPLICATE (existing records violate the key)
 */
export async function createKey(
  ctx: RecordsContext,
  tableName: string,
  input: CreateKeyInput,
): Promise<KeyDef> {
  const name = parseLogicalName(input.name, 'key name')
  const columns: unknown = input.columns
  if (
    !Array.isArray(columns) ||
    columns.length === 0 ||
    columns.length > MAX_KEY_COLUMNS ||
    !columns.every((c): c is string => typeof c === 'string')
  ) {
    throw invalid('columns', `expected 1 to ${MAX_KEY_COLUMNS} column names`)
  }
  if (new Set(columns).size !== columns.length) {
    throw invalid('columns', 'a column is listed more than once')
  }
  const displayName =
    input.displayName === undefined
      ? defaultDisplayName(name)
      : parseDisplayName(input.displayName, 'displayName')
  const key: KeyDef = { name, displayName, columns }
  await ctx.db.transaction().execute(async (trx) => {
    const table = findTable(await ctx.catalog(trx), tableName)
    checkColumns(table, columns)
    const keys = table.keys ?? []
    if (keys.some((k) => k.name === name)) {
      throw new AppError('ALREADY_EXISTS', `Table '${table.name}' already has a key '${name}'.`, {
        details: [{ path: 'key name', message: 'already in use' }],
      })
    }
    const sameColumns = keys.find((k) => sameSet(k.columns, columns))
    if (sameColumns !== undefined) {
      throw new AppError(
        'ALREADY_EXISTS',
        `Table '${table.name}' already has a key of these columns: '${sameColumns.name}'.`,
        { details: [{ path: 'columns', message: 'same columns as another key' }] },
      )
    }
    if (keys.length >= MAX_KEYS_PER_TABLE) {
      throw invalid('key name', `a table has at most ${MAX_KEYS_PER_TABLE} keys`)
    }
    await writeKey(trx, table, key, keys.length + 1, nowText(ctx.clock))
  })
  return key
}

function checkColumns(table: TableDef, columns: readonly string[]): void {
  for (const [i, name] of columns.entries()) {
    const column = columnOf(table, name)
    if (column.system) {
      throw invalid(`columns.${i}`, `'${column.name}' is a system column`)
    }
    if (column.options.encrypted === true) {
      // Sealed cells are randomised: a UNIQUE index over them would neither enforce
      // uniqueness nor find a record by value.
      throw invalid(`columns.${i}`, `'${column.name}' is encrypted; keys need plain columns`)
    }
    if (!KEY_COLUMN_TYPES.includes(column.type)) {
      throw invalid(
        `columns.${i}`,
        `'${column.name}' is of type ${column.type}; keys take ${KEY_COLUMN_TYPES.join(', ')}`,
      )
    }
  }
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((c) => b.includes(c))

async function writeKey(
  trx: EnvDb,
  table: TableDef,
  key: KeyDef,
  ordinal: number,
  createdOn: string,
): Promise<void> {
  await trx
    .insertInto('_keys')
    .values({
      table_name: table.name,
      name: key.name,
      display_name: key.displayName,
      columns: JSON.stringify(key.columns),
      ordinal,
      created_on: createdOn,
    })
    .execute()
  try {
    await trx.schema
      .createIndex(keyIndexName(table.name, key.name))
      .on(table.name)
      .columns([...key.columns])
      .unique()
      .execute()
  } catch (e) {
    if (!isUniqueViolation(e)) throw e
    // The transaction rolls back: neither the `_keys` row nor the index remains.
    throw new AppError(
      'RECORD_DUPLICATE',
      `Records of '${table.name}' already share values of ${key.columns.join(', ')}; make them unique (or empty) before creating the key '${key.name}'.`,
      {
        cause: e,
        details: [{ path: 'columns', message: 'existing records have duplicate values' }],
      },
    )
  }
}
