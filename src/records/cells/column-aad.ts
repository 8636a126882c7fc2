import { encodeContext, nodeTextOpener, type TextOpener } from '../../crypto/index.ts'
import type { TableDef } from '../model.ts'
import type { Secret } from '../../shared/secret.ts'
import { CELL_CONTEXT_DOMAIN, openCellWith } from './seal-cell.ts'

// A record id is a lower-case GUID: 36 ASCII characters.
const ID_BYTES = 36

/**
 * The associated data of the cells of one column (cellContext), with the column's part —
 * domain, environment, table and column — encoded once: a cell then only writes its record id
 * into the column's buffer instead of encoding all five parts again (bench:keys d).
 */
export class ColumnAad {
  readonly environmentId: string
  readonly table: string
  readonly column: string
  /** encodeContext(domain, [environment, table, column]) ‖ len(36) ‖ the record id's bytes. */
  readonly #buffer: Uint8Array
  /** The record id's slot in #buffer. */
  readonly #id: Uint8Array
  readonly #opener: TextOpener

  constructor(
    environmentId: string,
    table: string,
    column: string,
    opener: TextOpener = nodeTextOpener(),
  ) {
    this.environmentId = environmentId
    this.table = table
    this.column = column
    this.#opener = opener
    const prefix = encodeContext(CELL_CONTEXT_DOMAIN, [environmentId, table, column])
    this.#buffer = new Uint8Array(prefix.length + 4 + ID_BYTES)
    this.#buffer.set(prefix, 0)
    new DataView(this.#buffer.buffer).setUint32(prefix.length, ID_BYTES, false)
    this.#id = this.#buffer.subarray(prefix.length + 4)
  }

  /**
   * cellContext of this column's cell in record `recordId`: the same bytes. The result is this
   * object's buffer, rewritten by the next call: use it at once (setAAD), never keep it. An id
   * that isn't 36 ASCII characters gets a fresh encoding instead.
   */
  of(recordId: string): Uint8Array {
    const { read, written } = ENCODER.encodeInto(recordId, this.#id)
    if (read === recordId.length && written === ID_BYTES) return this.#buffer
    return encodeContext(CELL_CONTEXT_DOMAIN, [
      this.environmentId,
      this.table,
      this.column,
      recordId,
    ])
  }

  /**
   * openCell of this column's cell in record `recordId` under the column's cell key `key`.
   * @throws AppError DECRYPT_FAILED
   */
  open(key: Secret, recordId: string, sealed: unknown): string {
    return openCellWith(this.#opener, key, this.of(recordId), this, recordId, sealed)
  }
}

const ENCODER = new TextEncoder()

/**
 * The ColumnAad of every encrypted column read through one records service, kept per table
 * definition (weakly: a catalog reload drops them with the old TableDef). Holds no key and no
 * value, only names, and the AEAD implementation its cells open with.
 */
export class ColumnAadCache {
  readonly #byTable = new WeakMap<TableDef, Map<string, ColumnAad>>()
  readonly #opener: TextOpener

  constructor(opener: TextOpener = nodeTextOpener()) {
    this.#opener = opener
  }

  get(environmentId: string, table: TableDef, column: string): ColumnAad {
    let columns = this.#byTable.get(table)
    if (columns === undefined) {
      columns = new Map()
      this.#byTable.set(table, columns)
    }
    let aad = columns.get(column)
    // A TableDef belongs to one environment's catalog; the check keeps that an invariant here.
    if (aad === undefined || aad.environmentId !== environmentId || aad.table !== table.name) {
      aad = new ColumnAad(environmentId, table.name, column, this.#opener)
      columns.set(column, aad)
    }
    return aad
  }
}
