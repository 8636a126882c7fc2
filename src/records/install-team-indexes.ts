import { sql } from 'kysely'
import type { EnvDb } from '../storage/index.ts'

/**
 * Indexes of the access and group team columns (schema version 10, docs/authz.md §16): group
 * teams are found by the Entra object ids of a caller's token at every caller resolution, and
 * an access team by its (record, template). Idempotent.
 */
export async function installTeamIndexes(trx: EnvDb): Promise<void> {
  // Unique: one team per Entra group, whichever path creates it (nulls don't collide).
  await sql`create unique index if not exists "_ix.team.azureactivedirectoryobjectid"
    on team (azureactivedirectoryobjectid)`.execute(trx)
  await sql`create index if not exists "_ix.team.regardingobjectid"
    on team (regardingobjectid)`.execute(trx)
}
