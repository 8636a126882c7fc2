import { sql } from 'kysely'
import type { EnvDb } from '../storage/index.ts'

/**
 * The environment's security version (see installSecuritySchema): changes with every committed
 * change to users, teams, memberships, roles, role privileges or business units, from any
 * process. A SecurityContext cached under it is current exactly while it is unchanged.
 */
export async function readSecurityVersion(db: EnvDb): Promise<string> {
  const { rows } = await sql<{
    value: bigint | number
  }>`select value from _security_version where id = 1`.execute(db)
  return String(rows[0]?.value ?? 0)
}
