import {
  ACCESS_RIGHT_MASK,
  privilegeIdOf,
  privilegeName,
  RIGHTS,
  TASK_PRIVILEGES,
} from '../../authz/privileges.ts'
import type { EnvDb } from '../../storage/index.ts'
import type { TableDef } from '../model.ts'
import { nextVersion } from './next-version.ts'

/**
 * Rows of the read-only `privilege` table (entity set `privileges`, docs/authz.md §3): the
 * eight record privileges of each table — user-owned tables at every depth, organization-owned
 * ones at Global only — and the task privileges (Global). Ids are the name-based ids
 * roleprivileges refers to (privilegeIdOf). Written at provisioning, by the migration, and when
 * a table is created, in that transaction; existing rows are left alone. No-op before the
 * `privilege` table exists.
 */
export async function writePrivilegeRows(
  trx: EnvDb,
  tables: readonly Pick<TableDef, 'name' | 'ownership'>[],
  withTasks: boolean,
  systemUserId: string,
  now: string,
): Promise<void> {
  const present = await trx
    .selectFrom('_tables')
    .select('name')
    .where('name', '=', 'privilege')
    .executeTakeFirst()
  if (present === undefined) return
  const rows: { name: string; accessright: number; userOwned: boolean }[] = []
  for (const table of tables) {
    for (const right of RIGHTS) {
      rows.push({
        name: privilegeName(right, table.name),
        accessright: ACCESS_RIGHT_MASK[right],
        userOwned: table.ownership === 'user',
      })
    }
  }
  if (withTasks) {
    for (const name of TASK_PRIVILEGES) rows.push({ name, accessright: 0, userOwned: false })
  }
  for (const row of rows) {
    const id = privilegeIdOf(row.name)
    const exists = await trx
      .selectFrom('privilege')
      .select('privilegeid')
      .where('privilegeid', '=', id)
      .executeTakeFirst()
    if (exists !== undefined) continue
    await trx
      .insertInto('privilege')
      .values({
        privilegeid: id,
        name: row.name,
        accessright: row.accessright,
        canbebasic: row.userOwned ? 1 : 0,
        canbelocal: row.userOwned ? 1 : 0,
        canbedeep: row.userOwned ? 1 : 0,
        canbeglobal: 1,
        createdon: now,
        createdby: systemUserId,
        modifiedon: now,
        modifiedby: systemUserId,
        statecode: 0,
        statuscode: 1,
        versionnumber: await nextVersion(trx),
      })
      .execute()
  }
}
