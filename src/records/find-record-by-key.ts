import { AppError } from '../shared/errors.ts'
import { encodeValue } from './encode-value.ts'
import type { RecordsContext } from './internal/context.ts'
import { findTable } from './internal/table-catalog.ts'
import type { KeyDef, TableDef } from './model.ts'

/**
 * The key of `table` whose columns are exactly `columns` (in any order), or undefined.
 */
export function matchKey(table: TableDef, columns: readonly string[]): KeyDef | undefined {
  return (table.keys ?? []).find(
    (k) => k.columns.length === columns.length && k.columns.every((c) => columns.includes(c)),
  )
}

/**
 * The id of the record whose alternate key columns hold `values` (column → client value, as
 * for createRecord), or undefined when none does. The columns must be exactly those of one of
 * the table's keys. Values are validated and encoded per column (encodeValue) and bound as
 * parameters; the UNIQUE index answers the lookup. Unscoped: the caller reads or writes the
 * record afterwards through its scope, and reports a record outside it as missing.
 *
 * @throws AppError TABLE_NOT_FOUND, ALTERNATE_KEY_UNDEFINED (no key of those columns),
 *   RECORD_INVALID (a value doesn't fit its column), VALIDATION (a null key value)
 */
export async function findRecordIdByKey(
  ctx: RecordsContext,
  tableName: string,
  values: Readonly<Record<string, unknown>>,
): Promise<string | undefined> {
  const table = findTable(await ctx.catalog(ctx.db), tableName)
  const names = Object.keys(values)
  const key = matchKey(table, names)
  if (key === undefined) {
    throw new AppError(
      'ALTERNATE_KEY_UNDEFINED',
      `Table '${table.name}' has no alternate key of exactly those columns.`,
    )
  }
  let query = ctx.db.selectFrom(table.name).select(table.primaryIdColumn)
  for (const name of key.columns) {
    const column = table.columns.find((c) => c.name === name)
    if (column === undefined) throw new AppError('DATABASE_CORRUPT', 'A key names no column.')
    const stored = encodeValue(column, values[name])
    if (stored === null) {
      throw new AppError('VALIDATION', `The key value of '${name}' can't be null.`, {
        details: [{ path: name, message: 'a key value is required' }],
      })
    }
    query = query.where(column.name, '=', stored)
  }
  const row = await query.limit(1).executeTakeFirst()
  const id = row?.[table.primaryIdColumn]
  return typeof id === 'string' ? id : undefined
}
