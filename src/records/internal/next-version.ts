import { sql } from 'kysely'
import type { EnvDb } from '../../storage/index.ts'
import { toBigint } from './to-bigint.ts'

/**
 * Takes the next versionnumber of the environment from the single-row `_rowversion` counter.
 * Call it inside the write transaction: versions are then strictly increasing per environment
 * and a rolled-back write gives its number back.
 */
export async function nextVersion(trx: EnvDb): Promise<bigint> {
  const row = await trx
    .updateTable('_rowversion')
    .set({ value: sql`value + 1` })
    .where('id', '=', 1)
    .returning('value')
    .executeTakeFirstOrThrow()
  return toBigint(row['value'])
}
