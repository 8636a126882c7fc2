import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createRecordsFixture } from './internal/records-fixture.ts'
import { migrateEnvironmentDatabase } from './migrate-environment-database.ts'

const COLUMN_SECURITY_TABLES = [
  'fieldsecurityprofile',
  'fieldpermission',
  'systemuserprofiles',
  'teamprofiles',
  'principalobjectattributeaccess',
]

describe('schema version 5: column security', () => {
  it('adds the field security tables and their triggers to a version-4 database', async () => {
    const g = await createRecordsFixture()
    try {
      await g.databases.use(g.env, async (db) => {
        // Turn the file back into what version 4 provisioned.
        for (const t of COLUMN_SECURITY_TABLES) {
          // eslint-disable-next-line no-restricted-syntax -- test DDL on constant table names
          await sql`drop table ${sql.table(t)}`.execute(db)
          await db.deleteFrom('_columns').where('table_name', '=', t).execute()
          await db.deleteFrom('_tables').where('name', '=', t).execute()
        }
        await sql`pragma user_version = 4`.execute(db)
        await migrateEnvironmentDatabase(db)
      })
      for (const t of COLUMN_SECURITY_TABLES) await g.service.getTable(g.env, t)
      const before = await g.service.readSecurityVersion(g.env)
      const profile = await g.service.createRecord(
        g.env,
        'fieldsecurityprofile',
        { name: 'P' },
        { actorId: g.ids.systemUserId },
      )
      const afterProfile = await g.service.readSecurityVersion(g.env)
      assert.notEqual(afterProfile, before)
      await g.service.createRecord(
        g.env,
        'fieldpermission',
        {
          fieldsecurityprofileid: profile,
          entityname: 'account',
          attributelogicalname: 'accountnumber',
          canread: 4,
          cancreate: 0,
          canupdate: 0,
        },
        { actorId: g.ids.systemUserId },
      )
      assert.notEqual(await g.service.readSecurityVersion(g.env), afterProfile)
      // A column share is read live: it does not invalidate cached callers.
      const steady = await g.service.readSecurityVersion(g.env)
      await g.service.createRecord(
        g.env,
        'principalobjectattributeaccess',
        {
          objectid: g.ids.systemUserId,
          objecttypecode: 'account',
          attributelogicalname: 'accountnumber',
          principalid: g.ids.systemUserId,
          principaltypecode: 'systemuser',
          readaccess: true,
          updateaccess: false,
        },
        { actorId: g.ids.systemUserId },
      )
      assert.equal(await g.service.readSecurityVersion(g.env), steady)
      // canread accepts Dataverse's values only.
      await assert.rejects(
        g.service.createRecord(
          g.env,
          'fieldpermission',
          {
            fieldsecurityprofileid: profile,
            entityname: 'account',
            attributelogicalname: 'x',
            canread: 1,
          },
          { actorId: g.ids.systemUserId },
        ),
      )
    } finally {
      await g.close()
    }
  })

  it('secures and unsecures a column; refuses ids, lookups, system columns', async () => {
    const g = await createRecordsFixture()
    try {
      const r = await g.service.setColumnSecured(g.env, 'account', 'accountnumber', true)
      assert.equal(r.changed, true)
      assert.equal(r.column.options.secured, true)
      const table = await g.service.getTable(g.env, 'account')
      assert.equal(table.columns.find((c) => c.name === 'accountnumber')?.options.secured, true)
      const again = await g.service.setColumnSecured(g.env, 'account', 'accountnumber', true)
      assert.equal(again.changed, false)
      const off = await g.service.setColumnSecured(g.env, 'account', 'accountnumber', false)
      assert.equal(off.column.options.secured, undefined)
      for (const column of ['accountid', 'name', 'ownerid', 'parentaccountid', 'createdon']) {
        await assert.rejects(
          g.service.setColumnSecured(g.env, 'account', column, true),
          /can't be secured/,
        )
      }
      await assert.rejects(
        g.service.setColumnSecured(g.env, 'systemuser', 'domainname', true),
        /can't be secured/,
      )
    } finally {
      await g.close()
    }
  })
})
