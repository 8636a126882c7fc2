import type { ColumnDef, OwnershipType, TableDef } from '../model.ts'
import { primaryIdColumn, primaryNameColumn, systemColumns } from '../system-columns.ts'

export interface TableShape {
  readonly name: string
  readonly entitySetName: string
  readonly displayName: string
  readonly ownership: OwnershipType
  readonly system: boolean
  readonly primaryName: {
    readonly name: string
    readonly displayName: string
    readonly maxLength?: number
  }
  /** Columns besides the primary id, primary name and system columns. */
  readonly columns?: readonly ColumnDef[]
}

/**
 * Assembles a TableDef in Dataverse column order: primary id, primary name, the table's own
 * columns, then the platform columns. Names must already be validated.
 */
export function buildTableDef(shape: TableShape): TableDef {
  return {
    name: shape.name,
    entitySetName: shape.entitySetName,
    displayName: shape.displayName,
    ownership: shape.ownership,
    primaryIdColumn: `${shape.name}id`,
    primaryNameColumn: shape.primaryName.name,
    system: shape.system,
    columns: [
      primaryIdColumn(shape.name, shape.displayName),
      primaryNameColumn(
        shape.primaryName.name,
        shape.primaryName.displayName,
        shape.primaryName.maxLength,
      ),
      ...(shape.columns ?? []),
      ...systemColumns(shape.ownership),
    ],
  }
}
