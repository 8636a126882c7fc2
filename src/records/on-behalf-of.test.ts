import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createRecordsFixture } from './internal/records-fixture.ts'
import { migrateEnvironmentDatabase, SCHEMA_VERSION } from './migrate-environment-database.ts'

const ON_BEHALF_OF = ['createdonbehalfby', 'modifiedonbehalfby']

describe('createdonbehalfby / modifiedonbehalfby (impersonation)', () => {
  it('records the real caller on create, update and delete-cleared links; null otherwise', async () => {
    const g = await createRecordsFixture()
    try {
      const system = g.ids.systemUserId
      const delegate = await g.service.createRecord(
        g.env,
        'systemuser',
        { fullname: 'Delegate', businessunitid: g.ids.businessUnitId, isdisabled: false },
        { actorId: system },
      )
      const user = await g.service.createRecord(
        g.env,
        'systemuser',
        { fullname: 'User', businessunitid: g.ids.businessUnitId, isdisabled: false },
        { actorId: system },
      )
      const id = await g.service.createRecord(
        g.env,
        'account',
        { name: 'A' },
        { actorId: user, callingUserId: delegate },
      )
      const select = ['createdby', 'modifiedby', 'ownerid', ...ON_BEHALF_OF]
      let row = await g.service.retrieveRecord(g.env, 'account', id, { select })
      assert.equal(row['createdby'], user)
      assert.equal(row['ownerid'], user)
      assert.equal(row['createdonbehalfby'], delegate)
      assert.equal(row['modifiedonbehalfby'], delegate)

      // An update without impersonation clears modifiedonbehalfby; createdonbehalfby stays.
      await g.service.updateRecord(g.env, 'account', id, { name: 'B' }, { actorId: user })
      row = await g.service.retrieveRecord(g.env, 'account', id, { select })
      assert.equal(row['createdonbehalfby'], delegate)
      assert.equal(row['modifiedonbehalfby'], null)
      await g.service.updateRecord(
        g.env,
        'account',
        id,
        { name: 'C' },
        { actorId: user, callingUserId: delegate },
      )
      row = await g.service.retrieveRecord(g.env, 'account', id, { select })
      assert.equal(row['modifiedonbehalfby'], delegate)

      // Not impersonating: both null.
      const plain = await g.service.createRecord(g.env, 'account', { name: 'P' }, { actorId: user })
      row = await g.service.retrieveRecord(g.env, 'account', plain, { select })
      assert.equal(row['createdonbehalfby'], null)
      assert.equal(row['modifiedonbehalfby'], null)

      // A link cleared by a delete records who deleted on whose behalf.
      const contact = await g.service.createRecord(
        g.env,
        'contact',
        { lastname: 'L', parentcustomerid: plain },
        { actorId: user },
      )
      await g.service.deleteRecord(g.env, 'account', plain, {
        actorId: user,
        callingUserId: delegate,
      })
      const cleared = await g.service.retrieveRecord(g.env, 'contact', contact, {
        select: ['modifiedby', 'modifiedonbehalfby'],
      })
      assert.equal(cleared['modifiedonbehalfby'], delegate)

      // The real caller must be a user of this environment, like the actor.
      await assert.rejects(
        g.service.createRecord(
          g.env,
          'account',
          { name: 'X' },
          { actorId: user, callingUserId: '00000000-0000-0000-0000-000000000001' },
        ),
        (e: { code?: string }) => e.code === 'VALIDATION',
      )
      // Clients can't write them: they are system columns.
      await assert.rejects(
        g.service.createRecord(
          g.env,
          'account',
          { name: 'Y', createdonbehalfby: delegate },
          { actorId: user },
        ),
      )
    } finally {
      await g.close()
    }
  })

  it('schema version 7 adds them to every table of a version-6 database', async () => {
    const g = await createRecordsFixture()
    try {
      const tables = await g.databases.use(g.env, async (db) => {
        const names = (await db.selectFrom('_tables').select('name').execute()).map((r) =>
          String(r['name']),
        )
        // Turn the file back into what version 6 provisioned.
        for (const t of names) {
          for (const c of ON_BEHALF_OF) {
            // eslint-disable-next-line no-restricted-syntax -- test DDL on catalog names
            await sql`alter table ${sql.table(t)} drop column ${sql.ref(c)}`.execute(db)
          }
        }
        await db.deleteFrom('_columns').where('name', 'in', ON_BEHALF_OF).execute()
        await sql`pragma user_version = 6`.execute(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
        return names
      })
      assert.ok(tables.includes('account') && tables.includes('systemuser'))
      for (const t of tables) {
        const def = await g.service.getTable(g.env, t)
        const columns = def.columns.map((c) => c.name)
        assert.deepEqual(columns.slice(-2), ON_BEHALF_OF, t)
        const column = def.columns.find((c) => c.name === 'createdonbehalfby')
        assert.ok(column !== undefined)
        assert.equal(column.system, true)
        assert.equal(column.required, false)
        assert.deepEqual(column.options.targets, ['systemuser'])
      }
      const id = await g.service.createRecord(
        g.env,
        'account',
        { name: 'A' },
        { actorId: g.ids.systemUserId, callingUserId: g.ids.systemUserId },
      )
      const row = await g.service.retrieveRecord(g.env, 'account', id, {
        select: ON_BEHALF_OF,
      })
      assert.equal(row['createdonbehalfby'], g.ids.systemUserId)
    } finally {
      await g.close()
    }
  })
})
