// The one shared re-wrap of an environment's data keys (rotation, policy add-env/remove-env):
// both wrapped keys move together, and only if the row still holds what was unwrapped.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import type { Environment } from '../../src/control/environments/environment.ts'
import { resolveFieldKey } from '../../src/control/environments/resolve-field-key.ts'
import {
  commitRewrap,
  rewrapDataKeys,
  type WrappingKey,
} from '../../src/control/keys/rewrap-data-keys.ts'
import { findTenantKeyRow } from '../../src/control/keys/tenant-keys.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { dekContext } from '../../src/keys/envelope.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

describe('rewrapDataKeys + commitRewrap', () => {
  const dir = tempDir('sr-rewrap-')
  let app: Strongroom
  let env: Environment
  let from: WrappingKey
  let to: WrappingKey

  const row = () =>
    app.control.db
      .selectFrom('environments')
      .select(['key_id', 'key_version', 'wrapped_dek', 'wrapped_field_key', 'state'])
      .where('id', '=', env.id)
      .executeTakeFirstOrThrow()
  const prepare = async () => {
    const r = await row()
    if (r.wrapped_dek === null) throw new Error('no DEK')
    return rewrapDataKeys(app.control, {
      tenantId: env.tenantId,
      environmentId: env.id,
      from,
      to,
      wrapped: { dek: r.wrapped_dek, fieldKey: r.wrapped_field_key },
    })
  }
  const at = '2030-01-01T00:00:00.000Z'

  before(async () => {
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    env = await createEnvironment(app.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    // A field key exists once the environment needs one (the first encrypted column).
    ;(await resolveFieldKey(app.control, env.id)).dispose()
    const key = await findTenantKeyRow(app.control, 'acme', 'service')
    const provider = app.control.providers.get(key.provider)
    if (provider === undefined) throw new Error('no provider')
    const rotated = await provider.rotateKey(key.provider_key_id)
    const base = { rowId: key.id, provider: key.provider, providerKeyId: key.provider_key_id }
    from = { ...base, version: 1 }
    to = { ...base, version: rotated.currentVersion }
  })
  after(async () => {
    await app.close()
    dir.remove()
  })

  it('refuses to commit when the field key changed meanwhile, and when the state changed', async () => {
    const prepared = await prepare()
    const original = await row()
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_field_key: new Uint8Array([1, 2, 3]) })
      .where('id', '=', env.id)
      .execute()
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      false,
    )
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_field_key: original.wrapped_field_key })
      .where('id', '=', env.id)
      .execute()
    assert.equal(
      await app.control.db
        .transaction()
        .execute((trx) => commitRewrap(trx, prepared, { at, state: 'locked' })),
      false,
    )
    assert.deepEqual(await row(), original)
  })

  it('moves the DEK and the field key together, each unwrapping under its own purpose', async () => {
    const before = await row()
    const prepared = await prepare()
    assert.equal(
      await app.control.db
        .transaction()
        .execute((trx) => commitRewrap(trx, prepared, { at, state: 'active' })),
      true,
    )
    const after = await row()
    assert.equal(after.key_version, to.version)
    assert.notDeepEqual(after.wrapped_dek, before.wrapped_dek)
    assert.notDeepEqual(after.wrapped_field_key, before.wrapped_field_key)
    const provider = app.control.providers.get(to.provider)
    if (provider === undefined || after.wrapped_dek === null || after.wrapped_field_key === null) {
      throw new Error('missing')
    }
    const ids = { tenantId: env.tenantId, environmentId: env.id }
    const ref = { keyId: to.providerKeyId, version: to.version }
    const oldRef = { keyId: from.providerKeyId, version: from.version }
    for (const [blob, oldBlob, purpose] of [
      [after.wrapped_dek, before.wrapped_dek, 'environment-db'],
      [after.wrapped_field_key, before.wrapped_field_key, 'field'],
    ] as const) {
      if (oldBlob === null) throw new Error('missing')
      const moved = await provider.unwrap(ref, blob, dekContext({ purpose, ...ids }))
      const old = await provider.unwrap(oldRef, oldBlob, dekContext({ purpose, ...ids }))
      assert.deepEqual(moved.expose(), old.expose(), `${purpose} key is unchanged`)
      moved.dispose()
      old.dispose()
    }
    // A second commit of the same re-wrap finds the row moved on.
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      false,
    )
  })

  it('keeps a missing field key missing, and loses to a field key created meanwhile', async () => {
    ;[from, to] = [to, from]
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_field_key: null })
      .where('id', '=', env.id)
      .execute()
    const prepared = await prepare()
    assert.equal(prepared.to.fieldKey, null)
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_field_key: new Uint8Array([9]) })
      .where('id', '=', env.id)
      .execute()
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      false,
    )
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_field_key: null })
      .where('id', '=', env.id)
      .execute()
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      true,
    )
    assert.equal((await row()).wrapped_field_key, null)
  })
})
