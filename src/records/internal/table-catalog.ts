import { sql } from 'kysely'
import type { EnvDb } from '../../storage/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import { Lru } from '../../shared/lru.ts'
import { parseStoredColumnOptions } from '../column-options.ts'
import { toBigint } from './to-bigint.ts'
import {
  COLUMN_TYPES,
  type ColumnDef,
  type ColumnType,
  type KeyDef,
  type TableDef,
} from '../model.ts'

/** Every table of one environment, as of one SQLite schema version. */
export interface TableCatalog {
  readonly schemaVersion: bigint
  readonly byName: ReadonlyMap<string, TableDef>
  readonly byEntitySet: ReadonlyMap<string, TableDef>
}

/** The SQLite schema cookie: it changes with every DDL statement, from any process. */
export async function readSchemaVersion(db: EnvDb): Promise<bigint> {
  const { rows } = await sql<{ schema_version: bigint }>`pragma schema_version`.execute(db)
  return toBigint(rows[0]?.schema_version ?? 0n)
}

const isColumnType = (v: string): v is ColumnType => (COLUMN_TYPES as readonly string[]).includes(v)

/** Reads every table definition from `_tables` and `_columns`. */
export async function loadCatalog(db: EnvDb, schemaVersion: bigint): Promise<TableCatalog> {
  const tables = await db
    .selectFrom('_tables')
    .select([
      'name',
      'entity_set_name',
      'display_name',
      'ownership',
      'primary_id',
      'primary_name',
      'system',
    ])
    .execute()
  const columns = await db
    .selectFrom('_columns')
    .select([
      'table_name',
      'name',
      'type',
      'display_name',
      'required',
      'system',
      'primary_role',
      'options',
    ])
    .orderBy('table_name')
    .orderBy('ordinal')
    .execute()
  const columnsOf = new Map<string, ColumnDef[]>()
  for (const c of columns) {
    const type = String(c['type'])
    if (!isColumnType(type)) throw corrupt()
    const role = c['primary_role']
    const def: ColumnDef = {
      name: String(c['name']),
      type,
      displayName: String(c['display_name']),
      required: Number(c['required']) === 1,
      system: Number(c['system']) === 1,
      ...(role === 'id' || role === 'name' ? { primary: role } : {}),
      options: parseStoredColumnOptions(type, String(c['options'])),
    }
    const tableName = String(c['table_name'])
    const list = columnsOf.get(tableName) ?? []
    list.push(def)
    columnsOf.set(tableName, list)
  }
  const keysOf = await loadKeys(db)
  const byName = new Map<string, TableDef>()
  const byEntitySet = new Map<string, TableDef>()
  for (const t of tables) {
    const ownership = t['ownership']
    if (ownership !== 'user' && ownership !== 'organization') throw corrupt()
    let def: TableDef = {
      name: String(t['name']),
      entitySetName: String(t['entity_set_name']),
      displayName: String(t['display_name']),
      ownership,
      primaryIdColumn: String(t['primary_id']),
      primaryNameColumn: String(t['primary_name']),
      system: Number(t['system']) === 1,
      columns: columnsOf.get(String(t['name'])) ?? [],
    }
    const keys = keysOf.get(def.name)
    if (keys !== undefined) def = { ...def, keys }
    byName.set(def.name, def)
    byEntitySet.set(def.entitySetName, def)
  }
  return { schemaVersion, byName, byEntitySet }
}

/** Alternate key definitions (`_keys`, schema version 3) by table name. */
async function loadKeys(db: EnvDb): Promise<Map<string, KeyDef[]>> {
  const rows = await db
    .selectFrom('_keys')
    .select(['table_name', 'name', 'display_name', 'columns'])
    .orderBy('table_name')
    .orderBy('ordinal')
    .execute()
  const keysOf = new Map<string, KeyDef[]>()
  for (const r of rows) {
    let columns: unknown
    try {
      columns = JSON.parse(String(r['columns']))
    } catch {
      throw corrupt()
    }
    if (!Array.isArray(columns) || !columns.every((c): c is string => typeof c === 'string')) {
      throw corrupt()
    }
    const tableName = String(r['table_name'])
    const list = keysOf.get(tableName) ?? []
    list.push({ name: String(r['name']), displayName: String(r['display_name']), columns })
    keysOf.set(tableName, list)
  }
  return keysOf
}

const corrupt = (): AppError =>
  new AppError('DATABASE_CORRUPT', 'The stored table metadata is not valid.')

/**
 * Table metadata per environment, held by one service instance. Each use reads the schema
 * cookie (one cheap pragma) and reloads when it moved, so a column added by another process
 * (the CLI) is seen by a running server at its next operation.
 */
export class CatalogCache {
  readonly #entries: Lru<EnvironmentId, { catalog: TableCatalog; validated?: string }>

  constructor(capacity: number) {
    this.#entries = new Lru(capacity, () => undefined)
  }

  /**
   * The catalog as of now; pass the transaction when inside one. `stamp` is the database's
   * change stamp (storage ChangeStamp) read before this call: while it is unchanged since the
   * catalog was last validated, no schema can have changed and the PRAGMA is skipped.
   */
  async get(env: EnvironmentId, db: EnvDb, stamp?: string): Promise<TableCatalog> {
    const cached = this.#entries.get(env)
    if (cached !== undefined && stamp !== undefined && cached.validated === stamp) {
      return cached.catalog
    }
    const validated = stamp === undefined ? {} : { validated: stamp }
    const version = await readSchemaVersion(db)
    if (cached?.catalog.schemaVersion === version) {
      this.#entries.set(env, { catalog: cached.catalog, ...validated })
      return cached.catalog
    }
    const loaded = await loadCatalog(db, version)
    this.#entries.set(env, { catalog: loaded, ...validated })
    return loaded
  }

  /**
   * The cached catalog when it was validated under `stamp` (the database's current change
   * stamp), without touching the database; undefined when it must be checked (use `get`).
   */
  peek(env: EnvironmentId, stamp: string | undefined): TableCatalog | undefined {
    if (stamp === undefined) return undefined
    const cached = this.#entries.get(env)
    return cached !== undefined && cached.validated === stamp ? cached.catalog : undefined
  }

  forget(env: EnvironmentId): void {
    this.#entries.delete(env)
  }
}

/**
 * Resolves a table by logical name or entity set name.
 *
 * @throws AppError TABLE_NOT_FOUND
 */
export function findTable(catalog: TableCatalog, nameOrEntitySet: string): TableDef {
  const table = catalog.byName.get(nameOrEntitySet) ?? catalog.byEntitySet.get(nameOrEntitySet)
  if (table === undefined) {
    const named = /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(nameOrEntitySet)
    throw new AppError(
      'TABLE_NOT_FOUND',
      named
        ? `The environment has no table named '${nameOrEntitySet}'.`
        : 'The environment has no table of that name.',
    )
  }
  return table
}
