import { Kysely } from 'kysely'
import type { Secret } from '../shared/secret.ts'
import {
  createChangeStamp,
  openEncryptedDatabase,
  sqliteDialect,
  type PageCipher,
} from '../storage/index.ts'
import { migrateControlDb, type ControlDb } from './schema.ts'
import type { Region } from './context.ts'

/**
 * Opens (or, at init, creates) the control plane database: one more encrypted SQLite file,
 * keyed by the control key from the keyring.
 * @throws CONTROL_PLANE_CORRUPT when it is missing, damaged or doesn't open with the key
 */
export async function openControlDb(
  file: string,
  key: Secret,
  options: { create: boolean; cipher: PageCipher; regions: readonly Region[]; now: string },
): Promise<{ db: Kysely<ControlDb>; close: () => void; stamp: () => string }> {
  const raw = openEncryptedDatabase(file, key, {
    cipher: options.cipher,
    create: options.create,
    pageCacheKiB: 4096,
    synchronous: 'full',
    busyTimeoutMs: 5000,
    corruptCode: 'CONTROL_PLANE_CORRUPT',
    what: 'control plane database',
    secureDelete: true,
  })
  const changes = createChangeStamp(raw)
  const db = new Kysely<ControlDb>({
    dialect: sqliteDialect({
      database: raw,
      safeIntegers: false,
      corruptCode: 'CONTROL_PLANE_CORRUPT',
    }),
    plugins: [changes.plugin],
  })
  try {
    await migrateControlDb(db)
    // Configured regions are recorded; a region removed from the configuration stays known
    // to the environments placed in it.
    for (const region of options.regions) {
      await db
        .insertInto('regions')
        .values({ name: region.name, geography: region.geography, created_at: options.now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
    }
  } catch (e) {
    raw.close()
    throw e
  }
  return {
    db,
    close: () => {
      raw.close()
    },
    stamp: () => changes.current(),
  }
}
