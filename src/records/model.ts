/**
 * Table and column metadata in Dataverse terms (dataverse-spec §7; Dataverse column types).
 * This is the contract between the records domain, the query compiler and the Web API.
 */

export type ColumnType =
  | 'string'
  | 'memo'
  | 'wholenumber'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'currency'
  | 'boolean'
  | 'datetime'
  | 'choice'
  | 'choices'
  | 'lookup'
  | 'uniqueidentifier'

export const COLUMN_TYPES: readonly ColumnType[] = [
  'string',
  'memo',
  'wholenumber',
  'bigint',
  'decimal',
  'float',
  'currency',
  'boolean',
  'datetime',
  'choice',
  'choices',
  'lookup',
  'uniqueidentifier',
]

export interface ChoiceOption {
  readonly value: number
  readonly label: string
  /** statuscode options only: the statecode value this status reason belongs to. */
  readonly state?: number
}

/** Type-specific settings. Absent fields take the Dataverse defaults (see records/column-defaults). */
/** A relationship's cascade behaviour for one action (Dataverse CascadeType). */
export type CascadeRule = 'cascade' | 'active' | 'userOwned' | 'none'

export interface ColumnOptions {
  /** string, memo: maximum length in characters. */
  readonly maxLength?: number
  /** wholenumber, bigint, decimal, float, currency: inclusive range. */
  readonly minValue?: number
  readonly maxValue?: number
  /** decimal (0-10), float (0-5), currency (0-4): digits after the point. */
  readonly precision?: number
  /** datetime: 'dateonly' stores YYYY-MM-DD; 'datetime' stores UTC to the second. */
  readonly format?: 'dateonly' | 'datetime'
  /** choice, choices: the allowed values. */
  readonly choices?: readonly ChoiceOption[]
  /** lookup: logical names of the tables it may point to (more than one = polymorphic). */
  readonly targets?: readonly string[]
  /**
   * lookup: what deleting a referenced record does (Dataverse cascade "delete" behaviour).
   * 'removeLink' (default) sets this column to null; 'restrict' refuses the delete (IN_USE).
   */
  readonly onDelete?: 'removeLink' | 'restrict'
  /**
   * lookup on a user-owned table: Dataverse's cascade configuration of the relationship for
   * Share/Unshare (`cascadeShare`) and Assign (`cascadeAssign`): 'cascade' (Cascade All),
   * 'active' (Cascade Active), 'userOwned' (Cascade User-Owned), 'none' (Cascade None). Absent:
   * the standard parental relationships cascade (contact.parentcustomerid), others don't
   * (docs/authz.md §14).
   */
  readonly cascadeShare?: CascadeRule
  readonly cascadeAssign?: CascadeRule
  /**
   * string, memo: cell-level encryption (docs/keys.md "Cell-level encryption"). Values are
   * sealed with AES-256-GCM under a key derived from the environment's field key, bound to
   * environment, table, column and record id. One-way: never false once true. Stored only
   * when true.
   */
  readonly encrypted?: boolean
  /**
   * Encrypted columns: a keyed HMAC-SHA-256 of each value is kept in a hidden companion column
   * so `$filter=column eq 'x'` works by exact match (it reveals which rows hold equal values).
   * Stored only when true.
   */
  readonly blindIndex?: boolean
  /**
   * Column (field) security (Dataverse `IsSecured`, docs/authz.md §12): only System
   * Administrators, members of a field security profile granting it and principals the record's
   * column is shared with read or write it. Not for lookups, primary or system columns. Stored
   * only when true.
   */
  readonly secured?: boolean
}

export interface ColumnDef {
  /** Logical name, also the SQL column name. */
  readonly name: string
  readonly type: ColumnType
  readonly displayName: string
  readonly required: boolean
  /** System columns are maintained by the platform and can't be written by clients. */
  readonly system: boolean
  /** Primary id and primary name columns carry this. */
  readonly primary?: 'id' | 'name'
  readonly options: ColumnOptions
}

/**
 * Column types an alternate key may use (Dataverse EntityKeyMetadata: single line of text,
 * whole number, decimal, date and time, lookup, option set; plus bigint and uniqueidentifier).
 */
export const KEY_COLUMN_TYPES: readonly ColumnType[] = [
  'string',
  'wholenumber',
  'bigint',
  'decimal',
  'datetime',
  'lookup',
  'uniqueidentifier',
  'choice',
]

/**
 * An alternate key (Dataverse EntityKeyMetadata): 1–16 columns whose values together identify
 * at most one record, enforced by a UNIQUE index. Records with a null in any key column are not
 * constrained (SQLite treats nulls as distinct).
 */
export interface KeyDef {
  /** Logical name of the key (its SchemaName and LogicalName in metadata). */
  readonly name: string
  readonly displayName: string
  /** Column logical names in key order. */
  readonly columns: readonly string[]
}

export type OwnershipType = 'user' | 'organization'

export interface TableDef {
  /** Logical name, also the SQL table name (validated by parseLogicalName). */
  readonly name: string
  /** Entity set name used by the Web API, e.g. accounts. */
  readonly entitySetName: string
  readonly displayName: string
  readonly ownership: OwnershipType
  /** Primary id column logical name, e.g. accountid. */
  readonly primaryIdColumn: string
  /** Primary name column logical name, e.g. name. */
  readonly primaryNameColumn: string
  /** System tables (systemuser, team, businessunit, role) can't be dropped. */
  readonly system: boolean
  /** Columns in definition order, system columns included. */
  readonly columns: readonly ColumnDef[]
  /** Alternate keys in creation order (absent or empty: none). */
  readonly keys?: readonly KeyDef[]
}

/** Values as they cross the domain boundary (JSON-compatible). */
export type RecordValue = string | number | boolean | null
export type RecordData = Readonly<Record<string, RecordValue>>
