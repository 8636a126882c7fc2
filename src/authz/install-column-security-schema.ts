import { sql } from 'kysely'
import type { EnvDb } from '../storage/index.ts'

/**
 * The column security tables a caller's field permissions are read from
 * (loadFieldPermissions): each change bumps the security version, so a cached caller is
 * re-resolved on the next request (docs/authz.md §7, §12). Per-record column shares
 * (principalobjectattributeaccess) are not in it: they are read live per request.
 */
export const COLUMN_SECURITY_VERSIONED_TABLES = [
  'fieldsecurityprofile',
  'fieldpermission',
  'systemuserprofiles',
  'teamprofiles',
] as const

/**
 * Creates the triggers and indexes of column security (schema version 5): security version
 * bumps on the profile tables, and the index the per-record column share probe uses.
 * Idempotent; needs the tables and `_security_version` (installSecuritySchema) to exist. Run
 * inside the migration or provisioning transaction.
 */
export async function installColumnSecuritySchema(trx: EnvDb): Promise<void> {
  await sql`create index if not exists "_ix.principalobjectattributeaccess.objectid_principalid"
    on principalobjectattributeaccess (objectid, principalid)`.execute(trx)
  for (const table of COLUMN_SECURITY_VERSIONED_TABLES) {
    // Trigger and table names are this module's constants, never input (DDL takes no
    // parameters).
    // eslint-disable-next-line no-restricted-syntax -- constant identifier, see above
    const on = sql.id(table)
    // eslint-disable-next-line no-restricted-syntax -- constant identifier, see above
    const name = (event: string) => sql.id(`_tr.${table}.security_version_${event}`)
    const bump = sql`update _security_version set value = value + 1 where id = 1;`
    await sql`create trigger if not exists ${name('insert')} after insert on ${on}
      begin ${bump} end`.execute(trx)
    await sql`create trigger if not exists ${name('update')} after update on ${on}
      begin ${bump} end`.execute(trx)
    await sql`create trigger if not exists ${name('delete')} after delete on ${on}
      begin ${bump} end`.execute(trx)
  }
}
