import { sql } from 'kysely'
import type { EnvDb } from '../../storage/index.ts'
import { blindIndexColumnOf } from '../cells/blind-index.ts'
import { sqlTypeOf } from '../encode-value.ts'
import type { ColumnDef, TableDef } from '../model.ts'

/** Platform columns that are NOT NULL in SQL as well as in metadata. */
const NOT_NULL = new Set([
  'createdon',
  'modifiedon',
  'createdby',
  'modifiedby',
  'statecode',
  'statuscode',
  'versionnumber',
  'ownerid',
  'owningbusinessunit',
])

const columnRow = (table: TableDef, column: ColumnDef, ordinal: number) => ({
  table_name: table.name,
  name: column.name,
  type: column.type,
  display_name: column.displayName,
  required: column.required ? 1 : 0,
  system: column.system ? 1 : 0,
  primary_role: column.primary ?? null,
  options: JSON.stringify(column.options),
  ordinal,
})

/** Lookups are indexed: lookup filters and delete's remove-link/restrict checks use them. */
const needsIndex = (column: ColumnDef): boolean =>
  column.type === 'lookup' &&
  (!column.system || column.name === 'ownerid' || column.name === 'owningbusinessunit')

async function createLookupIndex(trx: EnvDb, table: TableDef, column: ColumnDef): Promise<void> {
  await trx.schema
    // '_' and '.' can't occur in logical names this way, so the index name is unique and never
    // collides with a table name (SQLite shares one namespace for both).
    .createIndex(`_ix.${table.name}.${column.name}`)
    .on(table.name)
    .columns(indexColumnsOf(table, column))
    .execute()
}

/**
 * The columns of a lookup's index: the column, and for owningbusinessunit also the primary id,
 * so a security scope's Business Unit term walks one unit's rows in primary id order (the
 * default $orderby) and stops at $top (docs/authz.md §5; schema version 5).
 */
export const indexColumnsOf = (table: TableDef, column: ColumnDef): string[] =>
  column.name === 'owningbusinessunit' ? [column.name, table.primaryIdColumn] : [column.name]

/**
 * Writes a new table: its `_tables` and `_columns` rows and the SQL table (STRICT, rowid, the
 * primary id UNIQUE NOT NULL — not WITHOUT ROWID, as memo values can be large), with an index
 * on each lookup column. Names come from validated metadata (parseLogicalName). Run it inside
 * a transaction: SQLite DDL is transactional, so a failure leaves nothing behind.
 */
export async function writeTable(trx: EnvDb, table: TableDef, createdOn: string): Promise<void> {
  await trx
    .insertInto('_tables')
    .values({
      name: table.name,
      entity_set_name: table.entitySetName,
      display_name: table.displayName,
      ownership: table.ownership,
      primary_id: table.primaryIdColumn,
      primary_name: table.primaryNameColumn,
      system: table.system ? 1 : 0,
      created_on: createdOn,
    })
    .execute()
  await trx
    .insertInto('_columns')
    .values(table.columns.map((c, i) => columnRow(table, c, i + 1)))
    .execute()
  let builder = trx.schema.createTable(table.name)
  for (const c of table.columns) {
    builder = builder.addColumn(c.name, sqlTypeOf(c), (col) => {
      if (c.primary === 'id') return col.notNull().unique()
      return NOT_NULL.has(c.name) && c.system ? col.notNull() : col
    })
  }
  await builder.modifyEnd(sql`strict`).execute()
  for (const c of table.columns) if (needsIndex(c)) await createLookupIndex(trx, table, c)
}

/**
 * Adds one column to an existing table: ALTER TABLE, its `_columns` row and its index (and,
 * for an encrypted column with a blind index, the hidden index column).
 */
export async function writeColumn(
  trx: EnvDb,
  table: TableDef,
  column: ColumnDef,
  ordinal: number,
): Promise<void> {
  await trx.schema.alterTable(table.name).addColumn(column.name, sqlTypeOf(column)).execute()
  await trx
    .insertInto('_columns')
    .values(columnRow(table, column, ordinal))
    .execute()
  if (needsIndex(column)) await createLookupIndex(trx, table, column)
  if (column.options.blindIndex === true) await addBlindIndexColumn(trx, table, column)
}

/**
 * Adds the hidden blind index column of an encrypted column (BLOB, not in `_columns`, so no
 * client can select or write it) and an index on it, so `eq` filters don't scan the table.
 */
export async function addBlindIndexColumn(
  trx: EnvDb,
  table: TableDef,
  column: ColumnDef,
): Promise<void> {
  const hidden = blindIndexColumnOf(column)
  await trx.schema.alterTable(table.name).addColumn(hidden, 'blob').execute()
  await trx.schema
    // As for lookup indexes: '.' can't occur in logical names, so the name is unique.
    .createIndex(`_bix.${table.name}.${column.name}`)
    .on(table.name)
    .column(hidden)
    .execute()
}

/** Rewrites a column's `_columns` options (after it was encrypted). */
export async function writeColumnOptions(
  trx: EnvDb,
  table: TableDef,
  column: ColumnDef,
): Promise<void> {
  await trx
    .updateTable('_columns')
    .set({ options: JSON.stringify(column.options) })
    .where('table_name', '=', table.name)
    .where('name', '=', column.name)
    .execute()
}
