// Child process for crash tests: opens a data directory and writes until it is killed.
//   node crash-writer.js <dataDir> records <tenant> <env>   → creates records, prints each id once committed
//   node crash-writer.js <dataDir> hold <tenant> <env> <canary> → opens a transaction that
//       inserts a record with the canary, prints "holding", and never commits
import { statSync } from 'node:fs'
import { sql } from 'kysely'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { openApp } from './open-app.ts'

const [dataDir, mode, tenant, envName, canary] = process.argv.slice(2)
const app = await openApp(dataDir ?? '')
const env = await findEnvironment(app.control, tenant ?? '', envName ?? '')
const { systemUserId, businessUnitId } = await app.records.readProvisionedIds(env.id)

if (mode === 'records') {
  for (let i = 0; ; i++) {
    const id = await app.records.createRecord(
      env.id,
      'account',
      { name: `row ${i}`, numberofemployees: i, description: 'x'.repeat(2000) },
      { actorId: systemUserId },
    )
    process.stdout.write(`${id}\n`)
  }
} else if (mode === 'hold') {
  await app.databases.use(env.id, async (db) => {
    // A small page cache (the default is 32 MiB) so the open transaction's pages spill.
    await sql`pragma cache_size = -1024`.execute(db)
    const wal = `${app.databases.pathOf(env.id)}-wal`
    const walSize = () => statSync(wal, { throwIfNoEntry: false })?.size ?? 0
    await db.transaction().execute(async (trx) => {
      // Rows until SQLite has spilled pages of the open transaction into the WAL (about 2,000
      // with this cache; checked rather than assumed, so a slow or busy machine can't make the
      // test look at a WAL that isn't there yet).
      for (let i = 0; i < 2000 || walSize() < 1_100_000; i++) {
        if (i >= 50_000) throw new Error(`no spill into the WAL after ${String(i)} rows`)
        await trx
          .insertInto('account')
          .values({
            accountid: crypto.randomUUID(),
            name: `${canary ?? ''} ${i}`,
            description: `${canary ?? ''} `.repeat(60),
            versionnumber: 1,
            statecode: 0,
            statuscode: 1,
            createdon: '2026-01-01T00:00:00Z',
            modifiedon: '2026-01-01T00:00:00Z',
            createdby: systemUserId,
            modifiedby: systemUserId,
            ownerid: systemUserId,
            owningbusinessunit: businessUnitId,
          })
          .execute()
      }
      process.stdout.write('holding\n')
      await new Promise(() => undefined)
    })
  })
}
