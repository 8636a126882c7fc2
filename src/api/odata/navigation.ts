import type { ColumnDef, TableDef } from '../../records/index.ts'

/** A single-valued navigation property: a lookup column of this table towards one target. */
export interface SingleNavigation {
  readonly kind: 'single'
  readonly name: string
  readonly column: ColumnDef
  /** Logical name of the target table. */
  readonly target: string
}

/** A collection-valued navigation property: another table's lookup pointing at this one. */
export interface CollectionNavigation {
  readonly kind: 'collection'
  readonly name: string
  /** The referencing table and its lookup column. */
  readonly table: TableDef
  readonly column: ColumnDef
}

export type Navigation = SingleNavigation | CollectionNavigation

/**
 * Navigation property names (documented in docs/api-compatibility.md):
 * - single-valued: the lookup column's logical name (`primarycontactid`), as in Dataverse; for
 *   a lookup with several targets, `<column>_<target>` per target (`parentcustomerid_account`,
 *   Dataverse's customer-lookup convention);
 * - collection-valued: `<referencingtable>_<lookupcolumn>` (`contact_parentcustomerid`). Dataverse
 *   names these after the relationship's schema name, which this server has no metadata for.
 */
export function singleNavigationName(column: ColumnDef, target: string): string {
  return (column.options.targets?.length ?? 0) > 1 ? `${column.name}_${target}` : column.name
}

/** The single-valued navigation properties of `table`, in column order. */
export function singleNavigations(table: TableDef): SingleNavigation[] {
  const navs: SingleNavigation[] = []
  for (const column of table.columns) {
    if (column.type !== 'lookup') continue
    for (const target of column.options.targets ?? []) {
      navs.push({ kind: 'single', name: singleNavigationName(column, target), column, target })
    }
  }
  return navs
}

/** The collection-valued navigation properties of `table`: every lookup that targets it. */
export function collectionNavigations(
  table: TableDef,
  tables: readonly TableDef[],
): CollectionNavigation[] {
  const taken = new Set(table.columns.map((c) => c.name))
  for (const nav of singleNavigations(table)) taken.add(nav.name)
  const navs: CollectionNavigation[] = []
  for (const other of tables) {
    for (const column of other.columns) {
      if (column.type !== 'lookup' || column.options.targets?.includes(table.name) !== true) {
        continue
      }
      const name = `${other.name}_${column.name}`
      if (taken.has(name)) continue
      taken.add(name)
      navs.push({ kind: 'collection', name, table: other, column })
    }
  }
  return navs
}

/** A navigation property of `table` by name (case-sensitive). */
export function findNavigation(
  table: TableDef,
  tables: readonly TableDef[],
  name: string,
): Navigation | undefined {
  return (
    singleNavigations(table).find((n) => n.name === name) ??
    collectionNavigations(table, tables).find((n) => n.name === name)
  )
}
