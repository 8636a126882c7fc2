import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { disableEnvironment } from '../../src/control/environments/change-environment-state.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { ensureUsable, findEnvironment } from '../../src/control/environments/environment.ts'
import { rotateTenantKey } from '../../src/control/keys/tenant-keys.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

// DESIGN invariant 4 (fail closed), and its converse: a passing outage is not a revocation.
describe('fail closed', () => {
  const dir = tempDir('sr-failclosed-')
  let server: Strongroom
  let recordId = ''

  before(async () => {
    server = await openApp(dir.path, { init: true })
    await createTenant(server.control, { name: 'acme', actor: 'test' })
    const env = await createEnvironment(server.control, {
      tenant: 'acme',
      name: 'prod',
      actor: 'test',
    })
    await createEnvironment(server.control, { tenant: 'acme', name: 'other', actor: 'test' })
    const { systemUserId } = await server.records.readProvisionedIds(env.id)
    recordId = await server.records.createRecord(
      env.id,
      'account',
      { name: 'x' },
      { actorId: systemUserId },
    )
    await server.databases.closeAll()
  })
  after(async () => {
    await server.close()
    dir.remove()
  })

  /** What a delivery layer does per request: read state fresh, gate, then touch data. */
  const request = async (app: Strongroom, name = 'prod') => {
    const env = await findEnvironment(app.control, 'acme', name)
    ensureUsable(app.control, env)
    return app.records.retrieveRecord(env.id, 'account', recordId)
  }

  it('a disable by another process is honoured on the next request and drops the open handle', async () => {
    await request(server)
    const env = await findEnvironment(server.control, 'acme', 'prod')
    assert.equal(server.databases.openCount, 1)
    const cli = await openApp(dir.path) // a second process: the operator's CLI
    await disableEnvironment(cli.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    await cli.close()
    await assert.rejects(request(server), { code: 'ENVIRONMENT_UNAVAILABLE' })
    assert.equal(server.databases.openCount, 0, 'the handle (and the DEK in it) is gone')
    const again = await findEnvironment(server.control, 'acme', 'prod')
    assert.equal(again.state, 'disabled')
    assert.equal(again.id, env.id)
    const cli2 = await openApp(dir.path)
    await cli2.control.db
      .updateTable('environments')
      .set({ state: 'active' })
      .where('id', '=', env.id)
      .execute()
    await cli2.close()
    await request(server)
  })

  it('an unreachable key provider refuses the request without locking the environment', async () => {
    const app = await openApp(dir.path)
    try {
      app.control.providers.get('local')?.close() // the provider is down
      await assert.rejects(request(app), { code: 'KEY_UNAVAILABLE' })
      assert.equal((await findEnvironment(app.control, 'acme', 'prod')).state, 'active')
    } finally {
      await app.close()
    }
    await request(server)
  })

  it('rotation moves every environment it can and reports the one it cannot', async () => {
    const other = await findEnvironment(server.control, 'acme', 'other')
    await server.control.db
      .updateTable('environments')
      .set({ wrapped_dek: new Uint8Array(61) })
      .where('id', '=', other.id)
      .execute()
    const r = await rotateTenantKey(server.control, {
      tenant: 'acme',
      name: 'service',
      actor: 'test',
    })
    assert.deepEqual(r.skippedEnvironments, [other.id])
    assert.equal(r.rewrapped, 1)
    assert.equal((await findEnvironment(server.control, 'acme', 'prod')).key.version, 2)
    server.databases.evict((await findEnvironment(server.control, 'acme', 'prod')).id)
    await request(server)
  })
})
