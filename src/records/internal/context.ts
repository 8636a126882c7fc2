import type { EnvDb, SyncReader } from '../../storage/index.ts'
import type { Clock } from '../../shared/clock.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import type { Random } from '../../shared/random.ts'
import type { ColumnAadCache } from '../cells/column-aad.ts'
import type { StatementCache } from './statement-cache.ts'
import type { Secret } from '../../shared/secret.ts'
import type { TableCatalog } from './table-catalog.ts'

/** What every operation gets: one environment's database and the injected dependencies. */
export interface RecordsContext {
  readonly db: EnvDb
  /** The environment `db` belongs to (bound into every encrypted cell). */
  readonly environmentId: EnvironmentId
  /**
   * The environment's field-encryption key, unwrapped once per open handle and zeroed when the
   * handle closes (storage OpenEnvironmentKeys). Shared: never dispose it. Ask for it only when
   * an encrypted column is read or written, so other requests never need it.
   */
  readonly fieldKey: () => Promise<Secret>
  /**
   * A key derived from the field key, derived once per open handle and zeroed with it (storage
   * OpenEnvironmentKeys.derivedKey): use cachedCellKey / cachedBlindIndexKey. The key itself
   * (synchronously) once derived on this handle, a promise the first time. Shared: never
   * dispose it.
   */
  readonly derivedKey: (
    name: string,
    derive: (fieldKey: Secret) => Secret,
  ) => Secret | Promise<Secret>
  readonly clock: Clock
  readonly random: Random
  /** The environment's table catalog as seen through `db` (pass the transaction inside one). */
  readonly catalog: (db: EnvDb) => Promise<TableCatalog>
  /**
   * The catalog without I/O when the cached one is known current (outside a unit of work);
   * undefined when `catalog` must check it.
   */
  readonly currentCatalog?: () => TableCatalog | undefined
  /** Single reads outside a transaction (absent inside a unit of work: use `db`). */
  readonly reader?: SyncReader
  /** Compiled SQL of hot statements, reused across calls. */
  readonly statements?: StatementCache
  /** The encoded column part of encrypted cells' associated data, reused across calls. */
  readonly columnAad?: ColumnAadCache
}

/** 'YYYY-MM-DDTHH:MM:SSZ' of the clock's now, the datetime storage form. */
export const nowText = (clock: Clock): string => `${clock.now().toISOString().slice(0, 19)}Z`
