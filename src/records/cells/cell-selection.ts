import { sql, type AliasedRawBuilder } from 'kysely'
import type { ColumnDef } from '../model.ts'

/**
 * What a point read selects for `column`: its name, or for an encrypted column its sealed cell
 * as hex text (NULL stays NULL) under the same name. The stored format is unchanged; better-
 * sqlite3 gives every BLOB its own natively allocated Buffer (about 1 µs, and work for the
 * garbage collector), while hex text is an ordinary string that openCell decodes into Node's
 * pooled buffer memory (bench:keys d). openCell accepts both forms.
 */
export function selectStored(column: ColumnDef): string | AliasedRawBuilder<unknown, string> {
  if (column.options.encrypted !== true) return column.name
  // eslint-disable-next-line no-restricted-syntax -- a column name from the catalog (a parsed logical name), quoted as an identifier
  const ref = sql.ref(column.name)
  return sql`case when ${ref} is null then null else hex(${ref}) end`.as(column.name)
}
