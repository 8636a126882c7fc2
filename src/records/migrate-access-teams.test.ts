import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createRecordsFixture } from './internal/records-fixture.ts'
import { migrateEnvironmentDatabase, SCHEMA_VERSION } from './migrate-environment-database.ts'
import { teamAccessColumns } from './team-template-tables.ts'

describe('schema: access teams, team templates and group teams', () => {
  it('adds teamtemplate and the team columns to a database of the previous version', async () => {
    const g = await createRecordsFixture()
    try {
      await g.databases.use(g.env, async (db) => {
        // Turn the file back into what the previous version provisioned.
        for (const index of [
          '_ix.team.teamtemplateid',
          '_ix.team.azureactivedirectoryobjectid',
          '_ix.team.regardingobjectid',
        ]) {
          await db.schema.dropIndex(index).execute()
        }
        for (const column of teamAccessColumns()) {
          await db.schema.alterTable('team').dropColumn(column.name).execute()
          await db
            .deleteFrom('_columns')
            .where('table_name', '=', 'team')
            .where('name', '=', column.name)
            .execute()
        }
        await sql`drop table teamtemplate`.execute(db)
        await db.deleteFrom('_columns').where('table_name', '=', 'teamtemplate').execute()
        await db.deleteFrom('_tables').where('name', '=', 'teamtemplate').execute()
        await db.deleteFrom('privilege').where('name', 'like', 'prv%teamtemplate').execute()
        // eslint-disable-next-line no-restricted-syntax -- test DDL, an integer constant
        await sql`pragma user_version = ${sql.lit(SCHEMA_VERSION - 1)}`.execute(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
        const indexes = await sql<{ name: string }>`select name from sqlite_master
          where type = 'index' and tbl_name = 'team'`.execute(db)
        const names = indexes.rows.map((r) => r.name)
        assert.ok(names.includes('_ix.team.azureactivedirectoryobjectid'))
        assert.ok(names.includes('_ix.team.teamtemplateid'))
        // The privilege catalog lists the new table's eight privileges, as for a new table.
        const privileges = await db
          .selectFrom('privilege')
          .select('name')
          .where('name', 'like', 'prv%teamtemplate')
          .execute()
        assert.equal(privileges.length, 8)
      })
      g.service.forget(g.env)
      const team = await g.service.getTable(g.env, 'team')
      for (const column of teamAccessColumns()) {
        assert.ok(
          team.columns.some((c) => c.name === column.name),
          column.name,
        )
      }
      const template = await g.service.createRecord(
        g.env,
        'teamtemplate',
        { teamtemplatename: 'T', objecttypecode: 'account', defaultaccessrightsmask: 1 },
        { actorId: g.ids.systemUserId },
      )
      const id = await g.service.createRecord(
        g.env,
        'team',
        {
          name: 'access',
          teamtype: 1,
          businessunitid: g.ids.businessUnitId,
          teamtemplateid: template,
          regardingobjectid: g.ids.systemUserId,
          regardingobjecttypecode: 'systemuser',
          systemmanaged: true,
        },
        { actorId: g.ids.systemUserId },
      )
      const row = await g.service.retrieveRecord(g.env, 'team', id, { select: ['teamtemplateid'] })
      assert.equal(row['teamtemplateid'], template)
      // The template link restricts deletes: a template with teams can't be deleted directly.
      await assert.rejects(
        g.service.deleteRecord(g.env, 'teamtemplate', template, { actorId: g.ids.systemUserId }),
      )
    } finally {
      await g.close()
    }
  })
})
