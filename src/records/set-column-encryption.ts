import { sql } from 'kysely'
import { AppError } from '../shared/errors.ts'
import type { Secret } from '../shared/secret.ts'
import type { EnvDb } from '../storage/index.ts'
import { blindIndexColumnOf, blindIndexOf } from './cells/blind-index.ts'
import { blindIndexKey, cellKey } from './cells/cell-keys.ts'
import { encryptionRefusal } from './cells/encryptable.ts'
import { openCell, sealCell, type CellAddress } from './cells/seal-cell.ts'
import type { RecordsContext } from './internal/context.ts'
import { columnOf } from './internal/record-io.ts'
import { findTable } from './internal/table-catalog.ts'
import { addBlindIndexColumn, writeColumnOptions } from './internal/table-ddl.ts'
import type { ColumnDef, TableDef } from './model.ts'

/** What setColumnEncryption should make of a column. */
export interface ColumnEncryptionInput {
  /**
   * true encrypts the column (one-way). false is refused for an encrypted column
   * (COLUMN_ENCRYPTION_IRREVERSIBLE) and changes nothing on a plaintext one.
   */
  readonly encrypted: boolean
  /** Also keep a blind index (exact-match `eq` filters); needs `encrypted: true`. */
  readonly blindIndex?: boolean
}

/** The result of setColumnEncryption. */
export interface ColumnEncryptionResult {
  readonly column: ColumnDef
  /** False when the column already was as asked. */
  readonly changed: boolean
  /** How many stored values were sealed or indexed. */
  readonly values: number
}

const BATCH = 500

/**
 * Marks a string or memo column encrypted (cell-level encryption, docs/keys.md), and/or gives
 * an encrypted column a blind index. Marking a populated column seals every stored value in
 * ONE transaction: the values move to a new BLOB column that replaces the old one (SQLite
 * can't change a STRICT column's type in place), with `secure_delete` on so the plaintext is
 * zeroed in the freed space, and the WAL is checkpointed afterwards. Versionnumbers don't
 * change: clients read the same values.
 *
 * @throws AppError VALIDATION (input, a column that can't be encrypted), TABLE_NOT_FOUND,
 *   COLUMN_NOT_FOUND, COLUMN_ENCRYPTION_IRREVERSIBLE, DECRYPT_FAILED (indexing a damaged
 *   cell), KEY_UNAVAILABLE / ENVIRONMENT_LOCKED (field key)
 */
export async function setColumnEncryption(
  ctx: RecordsContext,
  tableName: string,
  columnName: string,
  input: ColumnEncryptionInput,
): Promise<ColumnEncryptionResult> {
  if (typeof input.encrypted !== 'boolean') {
    throw new AppError('VALIDATION', 'encrypted must be true or false.', {
      details: [{ path: 'encrypted', message: 'expected a boolean' }],
    })
  }
  if (input.blindIndex !== undefined && typeof input.blindIndex !== 'boolean') {
    throw new AppError('VALIDATION', 'blindIndex must be true or false.', {
      details: [{ path: 'blindIndex', message: 'expected a boolean' }],
    })
  }
  if (input.blindIndex === true && !input.encrypted) {
    throw new AppError('VALIDATION', 'A blind index needs an encrypted column.', {
      details: [{ path: 'blindIndex', message: 'only with encrypted: true' }],
    })
  }
  // Decide from the current metadata first, so a refusal never needs the field key.
  const current = plan(findTable(await ctx.catalog(ctx.db), tableName), columnName, input)
  if (current.work === undefined) return { column: current.column, changed: false, values: 0 }
  const fieldKey = await ctx.fieldKey()
  const result = await ctx.db.transaction().execute(async (trx) => {
    // Again inside the write lock: another process may have changed the column meanwhile.
    const table = findTable(await ctx.catalog(trx), tableName)
    const { column, work } = plan(table, columnName, input)
    if (work === undefined) return { column, changed: false, values: 0 }
    const next: ColumnDef = {
      ...column,
      options: {
        ...column.options,
        encrypted: true,
        ...(work.index || column.options.blindIndex === true ? { blindIndex: true } : {}),
      },
    }
    const values = await withSecureDelete(trx, () =>
      rewrite(ctx, trx, table, column, work, fieldKey),
    )
    await writeColumnOptions(trx, table, next)
    return { column: next, changed: true, values }
  })
  if (result.changed) {
    // The old plaintext pages may still be in the WAL (page-encrypted, but superseded): copy
    // the WAL into the file and truncate it. Best effort: readers may hold old frames.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db)
  }
  return result
}

interface Work {
  /** Seal the plaintext values (the column isn't encrypted yet). */
  readonly seal: boolean
  /** Add a blind index (the column has none yet). */
  readonly index: boolean
}

function plan(
  table: TableDef,
  columnName: string,
  input: ColumnEncryptionInput,
): { column: ColumnDef; work?: Work } {
  const column = columnOf(table, columnName)
  const encrypted = column.options.encrypted === true
  if (!input.encrypted) {
    if (encrypted) {
      throw new AppError(
        'COLUMN_ENCRYPTION_IRREVERSIBLE',
        `Column '${table.name}.${column.name}' is encrypted, and that is one-way: it can't be decrypted in place. Add a plaintext column and copy the values through the API if you need them unencrypted.`,
      )
    }
    return { column }
  }
  const refusal = encryptionRefusal(table, column)
  if (refusal !== undefined) {
    throw new AppError(
      'VALIDATION',
      `Column '${table.name}.${column.name}' can't be encrypted: ${refusal}.`,
      { details: [{ path: 'encrypted', message: refusal }] },
    )
  }
  const index = input.blindIndex === true && column.options.blindIndex !== true
  if (encrypted && !index) return { column }
  return { column, work: { seal: !encrypted, index } }
}

/** Seals and/or indexes every stored value of `column`; returns how many. */
async function rewrite(
  ctx: RecordsContext,
  trx: EnvDb,
  table: TableDef,
  column: ColumnDef,
  work: Work,
  fieldKey: Secret,
): Promise<number> {
  const id = table.primaryIdColumn
  // Names from metadata; '_' first can't be a logical name, so neither collides.
  const sealed = `_enc_${column.name}`
  const indexColumn = blindIndexColumnOf(column)
  if (work.seal) await trx.schema.alterTable(table.name).addColumn(sealed, 'blob').execute()
  if (work.index) await addBlindIndexColumn(trx, table, column)
  const key = cellKey(fieldKey, table.name, column.name)
  const indexKey = work.index ? blindIndexKey(fieldKey, table.name, column.name) : undefined
  let count = 0
  try {
    let after: string | undefined
    for (;;) {
      let page = trx
        .selectFrom(table.name)
        .select([id, column.name])
        .where(column.name, 'is not', null)
        .orderBy(id)
        .limit(BATCH)
      if (after !== undefined) page = page.where(id, '>', after)
      const rows = await page.execute()
      for (const row of rows) {
        const recordId = row[id]
        if (typeof recordId !== 'string') throw new TypeError('primary ids are text')
        const address: CellAddress = {
          environmentId: ctx.environmentId,
          table: table.name,
          column: column.name,
          recordId,
        }
        const stored = row[column.name]
        const plaintext = work.seal ? stored : openCell(key, address, stored)
        if (typeof plaintext !== 'string') throw new TypeError('text columns hold text')
        const set: Record<string, Uint8Array> = {}
        if (work.seal) set[sealed] = sealCell(key, address, plaintext, ctx.random)
        if (indexKey !== undefined) set[indexColumn] = blindIndexOf(indexKey, plaintext)
        await trx.updateTable(table.name).set(set).where(id, '=', recordId).execute()
        count += 1
        after = recordId
      }
      if (rows.length < BATCH) break
    }
  } finally {
    key.dispose()
    indexKey?.dispose()
  }
  if (work.seal) {
    await trx.schema.alterTable(table.name).dropColumn(column.name).execute()
    await trx.schema.alterTable(table.name).renameColumn(sealed, column.name).execute()
  }
  return count
}

/**
 * Runs `fn` with SQLite's secure_delete on for this connection, so the pages and cells the
 * rewrite frees are zeroed rather than left holding the old plaintext; then restores it.
 */
async function withSecureDelete<T>(trx: EnvDb, fn: () => Promise<T>): Promise<T> {
  const { rows } = await sql<{ secure_delete: bigint | number }>`PRAGMA secure_delete`.execute(trx)
  const before = Number(rows[0]?.secure_delete ?? 0)
  await sql`PRAGMA secure_delete = ON`.execute(trx)
  try {
    return await fn()
  } finally {
    if (before === 0) await sql`PRAGMA secure_delete = OFF`.execute(trx)
    else if (before === 2) await sql`PRAGMA secure_delete = FAST`.execute(trx)
  }
}
