// Revoke, restore and unlock as state changes (issue #6 review): unlock returns an environment to
// the state the lock interrupted, and restore re-enables exactly what revoke disabled.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import {
  disableEnvironment,
  enableEnvironment,
} from '../../src/control/environments/change-environment-state.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { unlockEnvironment } from '../../src/control/environments/resolve-environment-key.ts'
import { listHistory } from '../../src/control/history.ts'
import { checkKeys } from '../../src/control/key-health/check-keys.ts'
import { createTenantKey } from '../../src/control/keys/create-tenant-key.ts'
import { restoreTenantKey } from '../../src/control/keys/restore-tenant-key.ts'
import { revokeTenantKey } from '../../src/control/keys/revoke-tenant-key.ts'
import {
  describeTenantKey,
  retireKeyVersion,
  rotateTenantKey,
} from '../../src/control/keys/tenant-keys.ts'
import { addEnvironmentToPolicy } from '../../src/control/policies/add-environment-to-policy.ts'
import { createPolicy } from '../../src/control/policies/create-policy.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

describe('key revocation: what unlock and restore give back', () => {
  const dir = tempDir('sr-revoke-')
  let app: Strongroom
  const actor = 'test'
  const tenant = 'acme'
  const state = async (name: string) => (await findEnvironment(app.control, tenant, name)).state
  const statuses = async (key: string) =>
    (await describeTenantKey(app.control, tenant, key)).versions.map((v) => [v.version, v.status])

  /** A local customer key `key`, a policy on it, and the environments added to the policy. */
  async function keyWithEnvironments(key: string, envs: string[]): Promise<void> {
    await createTenantKey(app.control, { tenant, name: key, provider: 'local', actor })
    await createPolicy(app.control, { tenant, name: key, key, actor })
    for (const env of envs) {
      await createEnvironment(app.control, { tenant, name: env, actor })
      await addEnvironmentToPolicy(app.control, { tenant, policy: key, env, actor })
    }
  }

  before(async () => {
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: tenant, actor })
  })
  after(async () => {
    await app.close()
    dir.remove()
  })

  it('revoke locks active and disabled environments; unlock returns each to its own state', async () => {
    await keyWithEnvironments('k1', ['on', 'off'])
    await disableEnvironment(app.control, { tenant, name: 'off', actor })
    const revoked = await revokeTenantKey(app.control, { tenant, name: 'k1', actor })
    assert.deepEqual(revoked.lockedEnvironments.sort(), ['off', 'on'])
    const off = await findEnvironment(app.control, tenant, 'off')
    assert.deepEqual(
      { state: off.state, lockedFrom: off.lockedFrom },
      {
        state: 'locked',
        lockedFrom: 'disabled',
      },
    )
    await restoreTenantKey(app.control, { tenant, name: 'k1', actor })
    assert.equal(
      (await unlockEnvironment(app.control, { tenant, name: 'on', actor })).state,
      'active',
    )
    const unlocked = await unlockEnvironment(app.control, { tenant, name: 'off', actor })
    assert.deepEqual(
      { state: unlocked.state, lockedFrom: unlocked.lockedFrom },
      {
        state: 'disabled',
        lockedFrom: null,
      },
    )
    assert.equal(await state('off'), 'disabled', 'stays disabled: unlock does not enable')
    assert.equal(await state('on'), 'active')
    const history = await listHistory(app.control.db, off.tenantId)
    const entry = history.find(
      (h) => h.action === 'environment.unlock' && h.environmentId === off.id,
    )
    assert.deepEqual(
      { from: entry?.detail['from'], to: entry?.detail['to'] },
      {
        from: 'locked',
        to: 'disabled',
      },
    )
    // Enabling it is a separate, explicit step.
    await enableEnvironment(app.control, { tenant, name: 'off', actor })
    assert.equal(await state('off'), 'active')
  })

  it('a disabled environment locked by the key-health check also unlocks to disabled', async () => {
    await keyWithEnvironments('k2', ['quiet'])
    await disableEnvironment(app.control, { tenant, name: 'quiet', actor })
    const key = await describeTenantKey(app.control, tenant, 'k2')
    await app.control.providers
      .get('local')
      ?.setVersionStatus({ keyId: key.keyId, version: 1 }, 'disabled')
    const report = await checkKeys(app.control)
    assert.deepEqual(report.find((k) => k.keyName === 'k2')?.locked, ['quiet'])
    assert.equal(await state('quiet'), 'locked')
    // Disabled outside `key revoke`: no record, so restore enables what the key needs.
    const restored = await restoreTenantKey(app.control, { tenant, name: 'k2', actor })
    assert.deepEqual(restored.enabledVersions, [1])
    assert.equal(
      (await unlockEnvironment(app.control, { tenant, name: 'quiet', actor })).state,
      'disabled',
    )
  })

  it('restore re-enables exactly the versions revoke disabled, not versions retired before', async () => {
    await keyWithEnvironments('k3', ['data'])
    await rotateTenantKey(app.control, { tenant, name: 'k3', actor }) // v2: data moves to it
    await rotateTenantKey(app.control, { tenant, name: 'k3', actor }) // v3: data moves again
    // v1 retired (disabled on purpose); v2 stays enabled with no environment on it (backups).
    await retireKeyVersion(app.control, { tenant, name: 'k3', version: 1, actor })
    assert.deepEqual(await statuses('k3'), [
      [1, 'disabled'],
      [2, 'enabled'],
      [3, 'enabled'],
    ])
    const revoked = await revokeTenantKey(app.control, { tenant, name: 'k3', actor })
    assert.deepEqual(revoked.disabledVersions, [2, 3])
    // Revoking again disables nothing more and forgets nothing.
    const again = await revokeTenantKey(app.control, { tenant, name: 'k3', actor })
    assert.deepEqual(again.disabledVersions, [])
    const restored = await restoreTenantKey(app.control, { tenant, name: 'k3', actor })
    assert.deepEqual(restored.enabledVersions, [2, 3])
    assert.deepEqual(await statuses('k3'), [
      [1, 'disabled'],
      [2, 'enabled'],
      [3, 'enabled'],
    ])
    await unlockEnvironment(app.control, { tenant, name: 'data', actor })
    assert.equal(await state('data'), 'active')
    // The record is gone: a second restore changes nothing.
    const twice = await restoreTenantKey(app.control, { tenant, name: 'k3', actor })
    assert.deepEqual(twice.enabledVersions, [])
  })

  it('restore after a revoke whose provider call failed halfway re-enables what was disabled', async () => {
    await keyWithEnvironments('k4', ['half'])
    await rotateTenantKey(app.control, { tenant, name: 'k4', actor }) // v1 and v2 enabled
    const local = app.control.providers.get('local')
    assert.ok(local !== undefined)
    const failing = new Map(app.control.providers)
    let calls = 0
    failing.set('local', {
      ...local,
      setVersionStatus: async (ref, status) => {
        if (++calls === 2) throw new Error('provider went away')
        await local.setVersionStatus(ref, status)
      },
    })
    await assert.rejects(
      revokeTenantKey({ ...app.control, providers: failing }, { tenant, name: 'k4', actor }),
      /provider went away/,
    )
    assert.equal(await state('half'), 'locked', 'locked before the provider was touched')
    assert.deepEqual(await statuses('k4'), [
      [1, 'disabled'],
      [2, 'enabled'],
    ])
    const restored = await restoreTenantKey(app.control, { tenant, name: 'k4', actor })
    assert.deepEqual(restored.enabledVersions, [1])
    assert.deepEqual(await statuses('k4'), [
      [1, 'enabled'],
      [2, 'enabled'],
    ])
  })
})
