import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import {
  describeTenantKey,
  retireKeyVersion,
  rotateTenantKey,
} from '../../src/control/keys/tenant-keys.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

describe('tenant key rotation', () => {
  const dir = tempDir('sr-rot-')
  let app: Strongroom
  const ids = new Map<string, string>()
  const envNames = ['one', 'two', 'three']

  before(async () => {
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    await createTenant(app.control, { name: 'other', actor: 'test' })
    await createEnvironment(app.control, { tenant: 'other', name: 'prod', actor: 'test' })
    for (const name of envNames) {
      const env = await createEnvironment(app.control, { tenant: 'acme', name, actor: 'test' })
      const { systemUserId } = await app.records.readProvisionedIds(env.id)
      ids.set(
        name,
        await app.records.createRecord(
          env.id,
          'account',
          { name: `data of ${name}` },
          { actorId: systemUserId },
        ),
      )
    }
  })
  after(async () => {
    await app.close()
    dir.remove()
  })

  it('re-wraps every DEK under the new version without touching data files', async () => {
    const before = await app.control.db
      .selectFrom('environments')
      .select(['id', 'wrapped_dek'])
      .execute()
    const { key, rewrapped } = await rotateTenantKey(app.control, {
      tenant: 'acme',
      name: 'service',
      actor: 'test',
    })
    assert.equal(rewrapped, 3)
    assert.equal(key.currentVersion, 2)
    assert.deepEqual(
      key.versions.map((v) => [v.version, v.status, v.environments]),
      [
        [1, 'enabled', 0],
        [2, 'enabled', 3],
      ],
    )
    const after = await app.control.db
      .selectFrom('environments')
      .select(['id', 'wrapped_dek'])
      .execute()
    const other = await findEnvironment(app.control, 'other', 'prod')
    for (const row of after) {
      const old = before.find((b) => b.id === row.id)
      if (row.id === other.id)
        assert.deepEqual(row.wrapped_dek, old?.wrapped_dek, 'other tenant untouched')
      else assert.notDeepEqual(row.wrapped_dek, old?.wrapped_dek)
    }
    for (const name of envNames) {
      const env = await findEnvironment(app.control, 'acme', name)
      assert.equal(env.key.version, 2)
    }
  })

  it('keeps data readable from a cold open after rotation', async () => {
    await app.databases.closeAll()
    for (const name of envNames) {
      const env = await findEnvironment(app.control, 'acme', name)
      const rec = await app.records.retrieveRecord(env.id, 'account', ids.get(name) ?? '')
      assert.equal(rec['name'], `data of ${name}`)
    }
  })

  it('refuses to retire the current version, or one still in use', async () => {
    await assert.rejects(
      retireKeyVersion(app.control, { tenant: 'acme', name: 'service', version: 2, actor: 't' }),
      {
        code: 'INVALID_STATE',
      },
    )
    await assert.rejects(
      retireKeyVersion(app.control, { tenant: 'acme', name: 'service', version: 9, actor: 't' }),
      {
        code: 'KEY_NOT_FOUND',
      },
    )
  })

  it('then disables the old version without loss', async () => {
    const key = await retireKeyVersion(app.control, {
      tenant: 'acme',
      name: 'service',
      version: 1,
      actor: 't',
    })
    assert.equal(key.versions.find((v) => v.version === 1)?.status, 'disabled')
    await app.databases.closeAll()
    for (const name of envNames) {
      const env = await findEnvironment(app.control, 'acme', name)
      const rec = await app.records.retrieveRecord(env.id, 'account', ids.get(name) ?? '')
      assert.equal(rec['name'], `data of ${name}`)
    }
  })

  it('refuses to retire a version that still wraps a DEK', async () => {
    // Rotate to v3, then model an environment whose re-wrap did not commit (left on v2).
    await rotateTenantKey(app.control, { tenant: 'acme', name: 'service', actor: 'test' })
    const env = await findEnvironment(app.control, 'acme', 'one')
    await app.control.db
      .updateTable('environments')
      .set({ key_version: 2 })
      .where('id', '=', env.id)
      .execute()
    await assert.rejects(
      retireKeyVersion(app.control, { tenant: 'acme', name: 'service', version: 2, actor: 't' }),
      {
        code: 'IN_USE',
      },
    )
    const key = await describeTenantKey(app.control, 'acme', 'service')
    assert.equal(key.versions.find((v) => v.version === 2)?.status, 'enabled')
  })

  it('locks an environment whose key version is unavailable (fail closed)', async () => {
    // Point 'two' at version 1, which was retired (disabled) above: its DEK can't be unwrapped.
    const env = await findEnvironment(app.control, 'acme', 'two')
    await app.control.db
      .updateTable('environments')
      .set({ key_version: 1 })
      .where('id', '=', env.id)
      .execute()
    app.databases.evict(env.id)
    await assert.rejects(app.records.retrieveRecord(env.id, 'account', ids.get('two') ?? ''), {
      code: 'ENVIRONMENT_LOCKED',
    })
    assert.equal((await findEnvironment(app.control, 'acme', 'two')).state, 'locked')
    // Data commands on a locked environment keep failing with the same code.
    await assert.rejects(app.records.retrieveRecord(env.id, 'account', ids.get('two') ?? ''), {
      code: 'ENVIRONMENT_LOCKED',
    })
  })
})
