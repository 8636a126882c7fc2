import assert from 'node:assert/strict'
import { copyFileSync, existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import type { Environment } from '../../src/control/environments/environment.ts'
import { resolveEnvironmentKey } from '../../src/control/environments/resolve-environment-key.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { dekContext } from '../../src/keys/envelope.ts'
import { Secret } from '../../src/shared/secret.ts'
import { openEncryptedDatabase } from '../../src/storage/index.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

const OPEN = {
  cipher: 'aegis',
  create: false,
  pageCacheKiB: 256,
  synchronous: 'full',
  busyTimeoutMs: 100,
  corruptCode: 'DATABASE_CORRUPT',
  what: 'environment database',
} as const

// DESIGN invariant 1: each environment's data lives in its own database, under its own key.
describe('tenant isolation', () => {
  const dir = tempDir('sr-iso-')
  let app: Strongroom
  let a: Environment
  let b: Environment
  let a2: Environment

  before(async () => {
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'tenant-a', actor: 'test' })
    await createTenant(app.control, { name: 'tenant-b', actor: 'test' })
    a = await createEnvironment(app.control, { tenant: 'tenant-a', name: 'prod', actor: 'test' })
    a2 = await createEnvironment(app.control, { tenant: 'tenant-a', name: 'dev', actor: 'test' })
    b = await createEnvironment(app.control, { tenant: 'tenant-b', name: 'prod', actor: 'test' })
    for (const [env, name] of [
      [a, 'A only'],
      [a2, 'A2 only'],
      [b, 'B only'],
    ] as const) {
      const { systemUserId } = await app.records.readProvisionedIds(env.id)
      await app.records.createRecord(env.id, 'account', { name }, { actorId: systemUserId })
    }
  })
  after(async () => {
    await app.close()
    dir.remove()
  })

  it('gives every environment its own file', () => {
    const files = new Set([a, a2, b].map((e) => app.databases.pathOf(e.id)))
    assert.equal(files.size, 3)
    for (const f of files) assert.ok(existsSync(f))
  })

  it('two environments never see each other’s rows', async () => {
    for (const [env, expected] of [
      [a, ['A only']],
      [a2, ['A2 only']],
      [b, ['B only']],
    ] as const) {
      const table = await app.records.getTable(env.id, 'account')
      const result = await app.records.queryRecords(env.id, table.name, { count: false })
      assert.deepEqual(
        result.records.map((r) => r['name']),
        expected,
      )
    }
  })

  it("an environment file can't be opened with another environment's DEK", async () => {
    const keyOfB = await resolveEnvironmentKey(app.control, b.id)
    assert.throws(() => openEncryptedDatabase(app.databases.pathOf(a.id), keyOfB, OPEN), {
      code: 'DATABASE_CORRUPT',
    })
  })

  it("an environment file can't be opened with no key or a zero key", () => {
    assert.throws(
      () => openEncryptedDatabase(app.databases.pathOf(a.id), new Secret(new Uint8Array(32)), OPEN),
      {
        code: 'DATABASE_CORRUPT',
      },
    )
    assert.throws(() =>
      openEncryptedDatabase(app.databases.pathOf(a.id), new Secret(new Uint8Array(0)), OPEN),
    )
  })

  it("a DEK wrapped for one environment doesn't unwrap as another's", async () => {
    const rows = await app.control.db
      .selectFrom('environments')
      .select(['id', 'wrapped_dek', 'key_version'])
      .where('id', 'in', [a.id, b.id])
      .execute()
    const wrappedA = rows.find((r) => r.id === a.id)?.wrapped_dek
    assert.ok(wrappedA)
    const provider = app.control.providers.get('local')
    assert.ok(provider)
    await assert.rejects(
      provider.unwrap(
        { keyId: a.key.keyId, version: a.key.version },
        wrappedA,
        dekContext({ purpose: 'environment-db', tenantId: a.tenantId, environmentId: a2.id }),
      ),
      { code: 'KEY_UNWRAP_FAILED' },
    )
    // Tenant B's key can't unwrap tenant A's DEK at all.
    await assert.rejects(
      provider.unwrap(
        { keyId: b.key.keyId, version: b.key.version },
        wrappedA,
        dekContext({ purpose: 'environment-db', tenantId: a.tenantId, environmentId: a.id }),
      ),
      { code: 'KEY_UNWRAP_FAILED' },
    )
  })

  it("a file swapped onto another environment's path doesn't open", async () => {
    app.databases.evict(a.id)
    app.databases.evict(b.id)
    // An attacker with disk access copies B's file over A's: A's DEK doesn't open it.
    const pathA = app.databases.pathOf(a.id)
    copyFileSync(pathA, `${pathA}.bak`)
    copyFileSync(app.databases.pathOf(b.id), pathA)
    try {
      await assert.rejects(app.records.queryRecords(a.id, 'account', { count: false }), {
        code: 'DATABASE_CORRUPT',
      })
    } finally {
      copyFileSync(`${pathA}.bak`, pathA)
    }
    app.records.forget(a.id)
    const again = await app.records.queryRecords(a.id, 'account', { count: false })
    assert.equal(again.records[0]?.['name'], 'A only')
  })
})
