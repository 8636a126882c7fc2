import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createRecordsFixture } from './internal/records-fixture.ts'
import { migrateEnvironmentDatabase, SCHEMA_VERSION } from './migrate-environment-database.ts'

describe('schema migration: organization.sharetopreviousowneronassign and the privilege catalog', () => {
  it('adds the setting, off, to a database provisioned before it, and is idempotent', async () => {
    const g = await createRecordsFixture()
    try {
      const fresh = await g.service.retrieveRecord(g.env, 'organization', g.ids.organizationId, {
        select: ['sharetopreviousowneronassign'],
      })
      assert.equal(fresh['sharetopreviousowneronassign'], false)
      await g.databases.use(g.env, async (db) => {
        // Turn the file back into what version 7 provisioned (this migration is version 8; the
        // later ones are idempotent and run again).
        await sql`alter table organization drop column sharetopreviousowneronassign`.execute(db)
        await db
          .deleteFrom('_columns')
          .where('table_name', '=', 'organization')
          .where('name', '=', 'sharetopreviousowneronassign')
          .execute()
        await sql`drop table privilege`.execute(db)
        await db.deleteFrom('_columns').where('table_name', '=', 'privilege').execute()
        await db.deleteFrom('_tables').where('name', '=', 'privilege').execute()
        await sql`pragma user_version = 7`.execute(db)
        await migrateEnvironmentDatabase(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
      })
      const table = await g.service.getTable(g.env, 'organization')
      assert.equal(
        table.columns.find((c) => c.name === 'sharetopreviousowneronassign')?.type,
        'boolean',
      )
      const migrated = await g.service.retrieveRecord(g.env, 'organization', g.ids.organizationId, {
        select: ['sharetopreviousowneronassign'],
      })
      assert.equal(migrated['sharetopreviousowneronassign'], false)
      // The privilege catalog: eight per table (itself included) plus the task privileges.
      const tables = await g.service.listTables(g.env)
      const privileges = await g.service.countRecords(g.env, 'privilege', { count: true })
      assert.ok(privileges > tables.length * 8)
      await g.databases.use(g.env, async (db) => {
        await migrateEnvironmentDatabase(db)
      })
      assert.equal(await g.service.countRecords(g.env, 'privilege', { count: true }), privileges)
      await assert.rejects(
        g.service.updateRecord(
          g.env,
          'organization',
          g.ids.organizationId,
          { sharetopreviousowneronassign: 'yes' },
          { actorId: g.ids.systemUserId },
        ),
        (e: unknown) => (e as { code?: string }).code === 'RECORD_INVALID',
      )
    } finally {
      await g.close()
    }
  })
})
