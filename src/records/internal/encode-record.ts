import { AppError } from '../../shared/errors.ts'
import { encodeValue, type StorageValue } from '../encode-value.ts'
import type { ColumnDef, TableDef } from '../model.ts'
import { CLIENT_WRITABLE_SYSTEM_COLUMNS } from '../system-columns.ts'
import { columnOf } from './record-io.ts'
import { recordInvalid } from './record-invalid.ts'

/**
 * Column name → value to store, for the columns a write sets. Encrypted columns hold their
 * plaintext until sealRow replaces it with the sealed cell (a Uint8Array).
 */
export type StorageRow = Map<string, StorageValue | Uint8Array>

const isPlainObject = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Validates and encodes the client's column values for a create or an update of `table`.
 * Clients may set the primary id (create only), statecode/statuscode, ownerid (create only)
 * and every non-system column. statecode and statuscode are kept consistent: setting one sets
 * the other (the status reason's own state, or the state's first status reason).
 *
 * @throws AppError VALIDATION (not an object), COLUMN_NOT_FOUND, RECORD_INVALID
 */
export function encodeRecord(
  table: TableDef,
  data: unknown,
  mode: 'create' | 'update',
): StorageRow {
  if (!isPlainObject(data)) {
    throw new AppError('VALIDATION', 'The record must be an object of column values.', {
      details: [{ path: '', message: 'expected an object' }],
    })
  }
  const row: StorageRow = new Map()
  for (const [name, value] of Object.entries(data)) {
    const column = columnOf(table, name)
    checkWritable(table, column, mode)
    const stored = encodeValue(column, value)
    if (stored === null && column.required) throw recordInvalid(column.name, 'a value is required')
    row.set(column.name, stored)
  }
  if (mode === 'create') {
    for (const c of table.columns) {
      if (c.required && !c.system && !row.has(c.name)) {
        throw recordInvalid(c.name, 'a value is required')
      }
    }
  }
  reconcileState(table, row)
  return row
}

function checkWritable(table: TableDef, column: ColumnDef, mode: 'create' | 'update'): void {
  if (column.primary === 'id') {
    if (mode === 'update') throw recordInvalid(column.name, "the primary id can't be changed")
    return
  }
  if (!column.system) return
  if (!CLIENT_WRITABLE_SYSTEM_COLUMNS.has(column.name)) {
    throw recordInvalid(column.name, "maintained by the platform; it can't be written")
  }
  if (table.ownership === 'organization' && column.name === 'ownerid') {
    throw recordInvalid(column.name, 'organization-owned records have no owner')
  }
}

/** Dataverse state/status pairing: each status reason belongs to one state. */
function reconcileState(table: TableDef, row: StorageRow): void {
  const status = table.columns.find((c) => c.name === 'statuscode')
  if (status === undefined) return
  const options = status.options.choices ?? []
  const state = row.get('statecode')
  const reason = row.get('statuscode')
  if (state !== undefined && reason === undefined) {
    const first = options.find((o) => BigInt(o.state ?? -1) === state)
    if (first === undefined) throw recordInvalid('statecode', 'no status reason for that state')
    row.set('statuscode', BigInt(first.value))
  } else if (reason !== undefined) {
    const option = options.find((o) => BigInt(o.value) === reason)
    if (option?.state === undefined) return
    if (state === undefined) row.set('statecode', BigInt(option.state))
    else if (BigInt(option.state) !== state) {
      throw recordInvalid('statuscode', 'the status reason does not belong to the state')
    }
  }
}
