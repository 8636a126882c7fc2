import { STORAGE_TYPE } from '../records/column-defaults.ts'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3-multiple-ciphers'
import { Kysely, SqliteDialect } from 'kysely'
import type { ColumnDef, ColumnOptions, ColumnType, TableDef } from '../records/model.ts'
import { parseLogicalName } from '../shared/names.ts'
import type { DynamicDb } from './dynamic-db.ts'
import type { StorageValue } from './to-storage-value.ts'

// Shared fixture for the query tests: an 'account' table with one column of every type, and
// a real in-memory SQLite database holding rows in the storage encoding of toStorageValue.

const column = (
  name: string,
  type: ColumnType,
  options: ColumnOptions = {},
  extra: Partial<ColumnDef> = {},
): ColumnDef => ({
  name,
  type,
  displayName: name,
  required: false,
  system: false,
  options,
  ...extra,
})

export const ACCOUNT: TableDef = {
  name: 'account',
  entitySetName: 'accounts',
  displayName: 'Account',
  ownership: 'user',
  primaryIdColumn: 'accountid',
  primaryNameColumn: 'name',
  system: false,
  columns: [
    column('accountid', 'uniqueidentifier', {}, { primary: 'id', system: true, required: true }),
    column('name', 'string', { maxLength: 100 }, { primary: 'name', required: true }),
    column('description', 'memo'),
    column('employees', 'wholenumber'),
    column('bignumber', 'bigint'),
    column('revenue', 'currency', { precision: 2 }),
    column('price', 'currency', { precision: 4 }),
    column('ratio', 'decimal'),
    column('score', 'float', { precision: 2 }),
    column('isactive', 'boolean'),
    column('createdon', 'datetime', { format: 'datetime' }, { system: true }),
    column('birthday', 'datetime', { format: 'dateonly' }),
    column('category', 'choice', {
      choices: [
        { value: 1, label: 'A' },
        { value: 2, label: 'B' },
      ],
    }),
    column('tags', 'choices'),
    column('parentaccountid', 'lookup', { targets: ['account'] }),
    column('ownerid', 'lookup', { targets: ['systemuser', 'team'] }, { system: true }),
  ],
}

/** Stored row, by column name; missing columns are null. */
export type StoredRow = Readonly<Record<string, StorageValue>>

/** GUID whose last group is `n` (lower-case, as stored). */
export const guid = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

/** Rows in storage encoding. ids are guid(1..n). */
export const ROWS: readonly StoredRow[] = [
  {
    accountid: guid(1),
    name: 'Contoso',
    description: 'Makes widgets',
    employees: 10,
    bignumber: 9007199254740993n,
    revenue: 1050,
    price: 12345,
    ratio: 150,
    score: 1.5,
    isactive: 1,
    createdon: '2024-01-31T10:00:00Z',
    birthday: '2000-02-29',
    category: 1,
    tags: '1,3',
    parentaccountid: null,
    ownerid: guid(100),
  },
  {
    accountid: guid(2),
    name: 'contoso east',
    description: null,
    employees: 20,
    bignumber: 5,
    revenue: 1051,
    price: 0,
    ratio: -150,
    score: -2,
    isactive: 0,
    createdon: '2024-01-31T10:00:01Z',
    birthday: '1999-12-31',
    category: 2,
    tags: null,
    parentaccountid: guid(1),
    ownerid: guid(100),
  },
  {
    accountid: guid(3),
    name: '100% Fabrikam',
    description: "O'Neil's shop",
    employees: null,
    bignumber: null,
    revenue: null,
    price: null,
    ratio: null,
    score: null,
    isactive: null,
    createdon: '2023-12-31T23:59:59Z',
    birthday: null,
    category: null,
    tags: null,
    parentaccountid: guid(1),
    ownerid: guid(101),
  },
  {
    accountid: guid(4),
    name: 'Fabrikam_1',
    description: 'back\\slash',
    employees: 30,
    bignumber: -1,
    revenue: 1049,
    price: 99999,
    ratio: 0,
    score: 0,
    isactive: 1,
    createdon: '2024-02-01T00:00:00Z',
    birthday: '2024-01-31',
    category: 1,
    tags: '2',
    parentaccountid: guid(2),
    ownerid: guid(101),
  },
  {
    accountid: guid(5),
    name: 'FabrikamX1',
    description: 'ÉCOLE',
    employees: 10,
    bignumber: 7,
    revenue: 0,
    price: 1,
    ratio: 1,
    score: 100.25,
    isactive: 0,
    createdon: '2024-01-31T09:59:59Z',
    birthday: '2024-02-01',
    category: 2,
    tags: null,
    parentaccountid: null,
    ownerid: guid(100),
  },
  {
    accountid: guid(6),
    name: 'ÉCOLE Litware',
    description: null,
    employees: 40,
    bignumber: 8,
    revenue: -500,
    price: null,
    ratio: 25,
    score: 3,
    isactive: 1,
    createdon: null,
    birthday: null,
    category: null,
    tags: '1',
    parentaccountid: null,
    ownerid: guid(102),
  },
]

/** A Kysely over a fresh in-memory SQLite database holding `rows` in the table `table`. */
export async function openDatabase(
  table: TableDef = ACCOUNT,
  rows: readonly StoredRow[] = ROWS,
): Promise<{ db: Kysely<DynamicDb>; sqlite: Database.Database }> {
  const sqlite = new Database(':memory:')
  sqlite.defaultSafeIntegers(false)
  const db = new Kysely<DynamicDb>({ dialect: new SqliteDialect({ database: sqlite }) })
  let create = db.schema.createTable(table.name)
  for (const c of table.columns) {
    const type = STORAGE_TYPE[c.type]
    create = create.addColumn(c.name, type, (col) =>
      c.primary === 'id' ? col.primaryKey().notNull() : col,
    )
  }
  await create.execute()
  if (rows.length > 0) {
    const full = rows.map((row) =>
      Object.fromEntries(table.columns.map((c) => [c.name, row[c.name] ?? null])),
    )
    await db.insertInto(table.name).values(full).execute()
  }
  return { db, sqlite }
}

/** The numbers n of guid(n) ids, in row order. */
export const idsOf = (rows: readonly Record<string, unknown>[]): number[] =>
  rows.map((row) => parseInt(String(row['accountid']).slice(-12), 16))

describe('sample table fixture', () => {
  it('uses valid logical names only', () => {
    parseLogicalName(ACCOUNT.name, 'table')
    for (const c of ACCOUNT.columns) assert.equal(parseLogicalName(c.name, 'column'), c.name)
  })

  it('loads every row into SQLite', async () => {
    const { db } = await openDatabase()
    const rows = await db.selectFrom('account').selectAll().execute()
    assert.equal(rows.length, ROWS.length)
    await db.destroy()
  })
})
