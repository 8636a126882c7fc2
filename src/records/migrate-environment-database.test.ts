import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { cryptoRandom } from '../shared/random.ts'
import type { EnvDb } from '../storage/index.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'
import { migrateEnvironmentDatabase, SCHEMA_VERSION } from './migrate-environment-database.ts'
import { provisionEnvironment } from './provision-environment.ts'

const STANDARD = [
  'account',
  'businessunit',
  'contact',
  'fieldpermission',
  'fieldsecurityprofile',
  'organization',
  'principalobjectaccess',
  'principalobjectattributeaccess',
  'privilege',
  'role',
  'roleprivileges',
  'systemuser',
  'systemuserprofiles',
  'systemuserroles',
  'team',
  'teammembership',
  'teamprofiles',
  'teamroles',
  'teamtemplate',
]
const ENTITY_SETS: Readonly<Record<string, string>> = {
  systemuserroles: 'systemuserrolescollection',
  principalobjectaccess: 'principalobjectaccessset',
  roleprivileges: 'roleprivilegescollection',
  teamroles: 'teamrolescollection',
  principalobjectattributeaccess: 'principalobjectattributeaccessset',
  systemuserprofiles: 'systemuserprofilescollection',
  teamprofiles: 'teamprofilescollection',
}
const SECURITY_TABLES = ['principalobjectaccess', 'roleprivileges', 'teammembership', 'teamroles']

describe('migrateEnvironmentDatabase and provisionEnvironment', () => {
  let f: RecordsFixture
  before(async () => {
    f = await createRecordsFixture()
  })
  after(async () => {
    await f.close()
  })

  it('provisions the standard tables with their entity sets', async () => {
    const tables = await f.service.listTables(f.env)
    assert.deepEqual(
      tables.map((t) => t.name),
      STANDARD,
    )
    assert.deepEqual(
      tables.map((t) => t.entitySetName),
      STANDARD.map((n) => ENTITY_SETS[n] ?? `${n}s`),
    )
    const account = await f.service.getTable(f.env, 'accounts')
    assert.equal(account.ownership, 'user')
    assert.equal(account.primaryIdColumn, 'accountid')
    assert.equal(account.primaryNameColumn, 'name')
    assert.ok(account.columns.some((c) => c.name === 'ownerid'))
    const bu = await f.service.getTable(f.env, 'businessunit')
    assert.equal(bu.ownership, 'organization')
    assert.ok(!bu.columns.some((c) => c.name === 'ownerid'))
  })

  it('seeds the root business unit, SYSTEM user, default team and two roles', async () => {
    const { ids, service, env } = f
    const bu = await service.retrieveRecord(env, 'businessunit', ids.businessUnitId)
    assert.equal(bu['name'], 'Contoso')
    assert.equal(bu['parentbusinessunitid'], null)
    assert.equal(bu['createdby'], ids.systemUserId)
    const user = await service.retrieveRecord(env, 'systemuser', ids.systemUserId)
    assert.equal(user['fullname'], 'SYSTEM')
    assert.equal(user['businessunitid'], ids.businessUnitId)
    assert.equal(user['createdby'], ids.systemUserId)
    assert.equal(user['modifiedby'], ids.systemUserId)
    assert.equal(user['createdon'], '2025-03-04T05:06:07Z')
    const team = await service.retrieveRecord(env, 'team', ids.defaultTeamId)
    assert.deepEqual(
      [team['name'], team['teamtype'], team['isdefault'], team['businessunitid']],
      ['Contoso', 0, true, ids.businessUnitId],
    )
    const admin = await service.retrieveRecord(env, 'role', ids.systemAdministratorRoleId)
    const basic = await service.retrieveRecord(env, 'role', ids.basicUserRoleId)
    assert.equal(admin['name'], 'System Administrator')
    assert.equal(basic['name'], 'Basic User')
    assert.equal(basic['businessunitid'], ids.businessUnitId)
    assert.deepEqual(await service.readProvisionedIds(env), ids)
    const versions = [bu, user, team, admin, basic].map((r) => r['versionnumber'] as number)
    assert.equal(new Set(versions).size, 5)
  })

  it('refuses to provision twice', async () => {
    await assert.rejects(f.service.provisionEnvironment(f.env, 'Again'), {
      code: 'ALREADY_EXISTS',
    })
  })

  it('is idempotent and records the schema version', async () => {
    await f.databases.use(f.env, async (db) => {
      await migrateEnvironmentDatabase(db)
      await migrateEnvironmentDatabase(db)
      const row = await db
        .selectFrom('_env')
        .select('value')
        .where('key', '=', 'schema_version')
        .executeTakeFirstOrThrow()
      assert.equal(row['value'], String(SCHEMA_VERSION))
      const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
      assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
    })
  })

  it('reopens after evict with the data intact', async () => {
    f.databases.evict(f.env)
    assert.equal(f.databases.openCount, 0)
    const user = await f.service.retrieveRecord(f.env, 'systemuser', f.ids.systemUserId)
    assert.equal(user['fullname'], 'SYSTEM')
    assert.equal(f.databases.openCount, 1)
  })

  it('refuses a database written by a newer schema version', async () => {
    await f.databases.use(f.env, async (db) => {
      await sql`pragma user_version = 99`.execute(db)
      await assert.rejects(migrateEnvironmentDatabase(db), { code: 'INVALID_STATE' })
      // eslint-disable-next-line no-restricted-syntax -- PRAGMA takes no parameters; a constant
      await sql`pragma user_version = ${sql.lit(SCHEMA_VERSION)}`.execute(db)
    })
  })

  it('adds systemuserroles to a database provisioned at schema version 1', async () => {
    const g = await createRecordsFixture()
    try {
      await g.databases.use(g.env, async (db) => {
        // Turn the file back into what version 1 provisioned: no association table.
        await sql`drop table systemuserroles`.execute(db)
        await db.deleteFrom('_columns').where('table_name', '=', 'systemuserroles').execute()
        await db.deleteFrom('_tables').where('name', '=', 'systemuserroles').execute()
        await sql`pragma user_version = 1`.execute(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
      })
      const table = await g.service.getTable(g.env, 'systemuserrolescollection')
      assert.deepEqual(
        table.columns.filter((c) => !c.system || c.primary === 'id').map((c) => c.name),
        ['systemuserroleid', 'systemuserid', 'roleid'],
      )
      const id = await g.service.createRecord(
        g.env,
        'systemuserroles',
        { systemuserid: g.ids.systemUserId, roleid: g.ids.systemAdministratorRoleId },
        { actorId: g.ids.systemUserId },
      )
      await assert.rejects(
        g.service.deleteRecord(g.env, 'role', g.ids.systemAdministratorRoleId, {
          actorId: g.ids.systemUserId,
        }),
        { code: 'IN_USE' },
      )
      await g.service.deleteRecord(g.env, 'systemuserroles', id, { actorId: g.ids.systemUserId })
    } finally {
      await g.close()
    }
  })
})

describe('schema version 3: alternate keys', () => {
  it('adds _keys to a database at schema version 2, whose tables then take keys', async () => {
    const g = await createRecordsFixture()
    try {
      await g.databases.use(g.env, async (db) => {
        await sql`drop table _keys`.execute(db)
        await sql`pragma user_version = 2`.execute(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        // Version 4's steps check first, so they pass over what is already there.
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
      })
      g.service.forget(g.env)
      assert.equal((await g.service.getTable(g.env, 'account')).keys, undefined)
      const key = await g.service.createKey(g.env, 'account', {
        name: 'accountnumberkey',
        columns: ['accountnumber'],
      })
      assert.deepEqual((await g.service.getTable(g.env, 'account')).keys, [key])
    } finally {
      await g.close()
    }
  })
})

describe('schema version 4: the security model', () => {
  it('provisions the predefined roles, the closure of the root business unit and its triggers', async () => {
    const f = await createRecordsFixture()
    try {
      await f.databases.use(f.env, async (db) => {
        const roles = await db
          .selectFrom('role')
          .select(['name', 'roletemplateid', 'isinherited'])
          .orderBy('name')
          .execute()
        assert.deepEqual(
          roles.map((r) => r['name']),
          [
            'Basic User',
            'Delegate',
            'Environment Maker',
            'Support User',
            'System Administrator',
            'System Customizer',
          ],
        )
        assert.ok(roles.every((r) => typeof r['roletemplateid'] === 'string'))
        const closure = await db.selectFrom('_bu_closure').selectAll().execute()
        assert.deepEqual(closure, [
          { ancestorid: f.ids.businessUnitId, descendantid: f.ids.businessUnitId, depth: 0n },
        ])
      })
    } finally {
      await f.close()
    }
  })

  it('adds the security model to a database provisioned at schema version 2', async () => {
    const g = await createRecordsFixture()
    try {
      const child = await g.service.createRecord(
        g.env,
        'businessunit',
        { name: 'Child', parentbusinessunitid: g.ids.businessUnitId },
        { actorId: g.ids.systemUserId },
      )
      await g.databases.use(g.env, async (db) => {
        // Turn the file back into what version 2 provisioned.
        for (const t of SECURITY_TABLES) {
          // eslint-disable-next-line no-restricted-syntax -- test DDL on constant table names
          await sql`drop table ${sql.table(t)}`.execute(db)
          await db.deleteFrom('_columns').where('table_name', '=', t).execute()
          await db.deleteFrom('_tables').where('name', '=', t).execute()
        }
        await sql`drop table _bu_closure`.execute(db)
        for (const t of ['insert', 'cycle', 'move', 'delete']) {
          // eslint-disable-next-line no-restricted-syntax -- test DDL on constant trigger names
          await sql`drop trigger ${sql.id(`_tr.businessunit.closure_${t}`)}`.execute(db)
        }
        await db
          .deleteFrom('role')
          .where('roleid', 'not in', [g.ids.systemAdministratorRoleId, g.ids.basicUserRoleId])
          .execute()
        await sql`alter table role drop column roletemplateid`.execute(db)
        await sql`alter table role drop column isinherited`.execute(db)
        await db
          .deleteFrom('_columns')
          .where('table_name', '=', 'role')
          .where('name', 'in', ['roletemplateid', 'isinherited'])
          .execute()
        await sql`pragma user_version = 2`.execute(db)
        await migrateEnvironmentDatabase(db)
        const closure = await db
          .selectFrom('_bu_closure')
          .select(['ancestorid', 'descendantid', 'depth'])
          .where('descendantid', '=', child)
          .orderBy('depth')
          .execute()
        assert.deepEqual(closure, [
          { ancestorid: child, descendantid: child, depth: 0n },
          { ancestorid: g.ids.businessUnitId, descendantid: child, depth: 1n },
        ])
      })
      const roles = await g.service.queryRecords(g.env, 'role', {
        count: false,
        select: ['name', 'roletemplateid'],
      })
      assert.equal(roles.records.length, 6)
      const admin = await g.service.retrieveRecord(g.env, 'role', g.ids.systemAdministratorRoleId)
      assert.equal(typeof admin['roletemplateid'], 'string')
      for (const t of SECURITY_TABLES) await g.service.getTable(g.env, t)
      // The triggers are back: a new unit gets its closure rows.
      const grandchild = await g.service.createRecord(
        g.env,
        'businessunit',
        { name: 'Grandchild', parentbusinessunitid: child },
        { actorId: g.ids.systemUserId },
      )
      await g.databases.use(g.env, async (db) => {
        const rows = await db
          .selectFrom('_bu_closure')
          .select('ancestorid')
          .where('descendantid', '=', grandchild)
          .execute()
        assert.equal(rows.length, 3)
      })
    } finally {
      await g.close()
    }
  })
})

describe('provisionEnvironment failure', () => {
  it('leaves nothing behind when a seed insert fails', async () => {
    const f = await createRecordsFixture({ provision: false })
    try {
      // The same id for every seed record: the second role insert violates UNIQUE.
      const sameId = cryptoRandom.uuid()
      await f.databases.use(f.env, async (db) => {
        await assert.rejects(
          provisionEnvironment(db, {
            environmentId: f.env,
            organizationName: 'Fabrikam',
            clock: f.clock,
            random: { bytes: (n) => cryptoRandom.bytes(n), uuid: () => sameId },
          }),
        )
        const tables = await db.selectFrom('_tables').select('name').execute()
        assert.deepEqual(tables, [])
        const env = await db.selectFrom('_env').select('key').execute()
        assert.deepEqual(
          env.map((r) => r['key']),
          ['schema_version'],
        )
        const { rows } = await sql<{
          n: bigint
        }>`select count(*) as n from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'`.execute(
          db,
        )
        assert.equal(rows[0]?.n, 0n)
      })
      const ids = await f.service.provisionEnvironment(f.env, 'Fabrikam')
      const bu = await f.service.retrieveRecord(f.env, 'businessunit', ids.businessUnitId)
      assert.equal(bu['name'], 'Fabrikam')
    } finally {
      await f.close()
    }
  })

  it('refuses a bad organization name', async () => {
    const f = await createRecordsFixture({ provision: false })
    try {
      await assert.rejects(f.service.provisionEnvironment(f.env, ''), { code: 'VALIDATION' })
      await assert.rejects(f.service.provisionEnvironment(f.env, 'x'.repeat(161)), {
        code: 'VALIDATION',
      })
    } finally {
      await f.close()
    }
  })
})

describe('schema version 5: owningbusinessunit indexes carry the primary id', () => {
  const indexColumns = async (db: EnvDb, index: string): Promise<string[]> => {
    const { rows } = await sql<{
      name: string
    }>`select name from pragma_index_info(${index})`.execute(db)
    return rows.map((r) => r.name)
  }

  it('provisions (owningbusinessunit, <primary id>) and rebuilds it on a version-4 database', async () => {
    const f = await createRecordsFixture()
    try {
      await f.databases.use(f.env, async (db) => {
        assert.deepEqual(await indexColumns(db, '_ix.account.owningbusinessunit'), [
          'owningbusinessunit',
          'accountid',
        ])
        // Turn the file back into what version 4 provisioned: the single-column index.
        await sql`drop index "_ix.account.owningbusinessunit"`.execute(db)
        await sql`create index "_ix.account.owningbusinessunit" on account (owningbusinessunit)`.execute(
          db,
        )
        await sql`pragma user_version = 4`.execute(db)
        await migrateEnvironmentDatabase(db)
        const { rows } = await sql<{ user_version: bigint }>`pragma user_version`.execute(db)
        assert.equal(rows[0]?.user_version, BigInt(SCHEMA_VERSION))
        assert.deepEqual(await indexColumns(db, '_ix.account.owningbusinessunit'), [
          'owningbusinessunit',
          'accountid',
        ])
        // Organization-owned tables have no such column, so no such index.
        assert.deepEqual(await indexColumns(db, '_ix.businessunit.owningbusinessunit'), [])
      })
      // A table created later gets the same index.
      const t = await f.service.createTable(f.env, { name: 'new_thing', ownership: 'user' })
      await f.databases.use(f.env, async (db) => {
        assert.deepEqual(await indexColumns(db, '_ix.new_thing.owningbusinessunit'), [
          'owningbusinessunit',
          t.primaryIdColumn,
        ])
      })
    } finally {
      await f.close()
    }
  })
})
