import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createRecordsFixture } from './internal/records-fixture.ts'
import { migrateEnvironmentDatabase, SCHEMA_VERSION } from './migrate-environment-database.ts'
import { hierarchySettingsColumns } from './standard-tables.ts'

const TRIGGERS = [
  '_tr.systemuser.manager_self',
  '_tr.systemuser.manager_insert',
  '_tr.systemuser.manager_cycle',
  '_tr.systemuser.manager_move',
  '_tr.systemuser.manager_delete',
  '_tr.organization.hierarchy_excluded_insert',
  '_tr.organization.hierarchy_excluded_update',
]

describe('schema version 7: hierarchy security (manager model)', () => {
  it('adds the settings, rebuilds the manager closure from existing managers, and keeps it', async () => {
    const f = await createRecordsFixture()
    const actor = { actorId: f.ids.systemUserId }
    try {
      const user = (fullname: string, manager?: string) =>
        f.service.createRecord(
          f.env,
          'systemuser',
          {
            fullname,
            businessunitid: f.ids.businessUnitId,
            ...(manager === undefined ? {} : { parentsystemuserid: manager }),
          },
          actor,
        )
      const a = await user('a')
      const b = await user('b', a)
      const c = await user('c', b)
      await f.databases.use(f.env, async (db) => {
        // Turn the file back into what version 6 had: no closure, triggers or settings (the
        // manager column stays, as if written before: the closure is rebuilt from it).
        for (const t of TRIGGERS) {
          // eslint-disable-next-line no-restricted-syntax -- test DDL on constant names
          await sql`drop trigger ${sql.id(t)}`.execute(db)
        }
        await sql`drop table _manager_closure`.execute(db)
        for (const c of hierarchySettingsColumns()) {
          // eslint-disable-next-line no-restricted-syntax -- test DDL on constant names
          await sql`alter table organization drop column ${sql.id(c.name)}`.execute(db)
          await db
            .deleteFrom('_columns')
            .where('table_name', '=', 'organization')
            .where('name', '=', c.name)
            .execute()
        }
        await sql`pragma user_version = 6`.execute(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
        const closure = await db
          .selectFrom('_manager_closure')
          .selectAll()
          .where('depth', '>', 0)
          .execute()
        assert.deepEqual(
          closure
            .map((r) => `${String(r['managerid'])}>${String(r['reportid'])}:${String(r['depth'])}`)
            .sort(),
          [`${a}>${b}:1`, `${a}>${c}:2`, `${b}>${c}:1`].sort(),
        )
      })
      const org = await f.service.retrieveRecord(f.env, 'organization', f.ids.organizationId, {
        select: hierarchySettingsColumns().map((c) => c.name),
      })
      assert.equal(org['enablehierarchicalsecuritymodel'], false)
      assert.equal(org['maxdepthforhierarchicalsecuritymodel'], 3)
      assert.equal(org['hierarchylevelforhierarchyfeature'], 1)
      assert.equal(org['managersmustbeinsameorparentbusinessunitasreports'], true)
      // The triggers are back: a cycle is refused, a change moves the subtree, a settings
      // change bumps the security version.
      await assert.rejects(
        f.service.updateRecord(f.env, 'systemuser', a, { parentsystemuserid: c }, actor),
        { code: 'RECORD_INVALID' },
      )
      await f.service.updateRecord(f.env, 'systemuser', b, { parentsystemuserid: null }, actor)
      const left = await f.databases.use(f.env, (db) =>
        db.selectFrom('_manager_closure').selectAll().where('managerid', '=', a).execute(),
      )
      assert.deepEqual(
        left.map((r) => r['reportid']),
        [a],
      )
      const version = await f.service.readSecurityVersion(f.env)
      await f.service.updateRecord(
        f.env,
        'organization',
        f.ids.organizationId,
        { enablehierarchicalsecuritymodel: true },
        actor,
      )
      assert.notEqual(await f.service.readSecurityVersion(f.env), version)
      await assert.rejects(
        f.service.updateRecord(
          f.env,
          'organization',
          f.ids.organizationId,
          { hierarchysecurityexcludedtables: 'Account' },
          actor,
        ),
        {
          code: 'RECORD_INVALID',
          message:
            "Column 'hierarchysecurityexcludedtables': expected table logical names separated by commas.",
        },
      )
      // A deleted user leaves the closure (its reports lose the manager: removeLink).
      await f.service.deleteRecord(f.env, 'systemuser', c, actor)
      const rest = await f.databases.use(f.env, (db) =>
        db.selectFrom('_manager_closure').select('reportid').where('reportid', '=', c).execute(),
      )
      assert.deepEqual(rest, [])
    } finally {
      await f.close()
    }
  })
})
