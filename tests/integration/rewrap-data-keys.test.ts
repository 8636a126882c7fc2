// The one shared re-wrap of an environment's data keys (rotation, policy add-env/remove-env):
// both wrapped keys move together, and only if the row still holds what was unwrapped.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment, type Environment } from '../../src/control/environments/environment.ts'
import { unwrapDataKey } from '../../src/control/environments/unwrap-data-key.ts'
import { resolveFieldKey } from '../../src/control/environments/resolve-field-key.ts'
import {
  commitRewrap,
  rewrapDataKeys,
  type WrappingKey,
} from '../../src/control/keys/rewrap-data-keys.ts'
import { findTenantKeyRow } from '../../src/control/keys/tenant-keys.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { dekContext } from '../../src/keys/envelope.ts'
import type { KeyProvider, KeyRef } from '../../src/keys/key-provider.ts'
import { Secret } from '../../src/shared/secret.ts'
import type { KeyLayout } from '../../src/control/schema.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'
import { wrapForEnvironment } from '../helpers/wrap-for-environment.ts'

describe('rewrapDataKeys + commitRewrap', () => {
  const dir = tempDir('sr-rewrap-')
  let app: Strongroom
  let env: Environment
  let from: WrappingKey
  let to: WrappingKey
  let base: Omit<WrappingKey, 'version'>

  const row = () =>
    app.control.db
      .selectFrom('environments')
      .select(['key_id', 'key_version', 'wrapped_dek', 'wrapped_field_key', 'key_layout', 'state'])
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
      wrapped: { dek: r.wrapped_dek, fieldKey: r.wrapped_field_key, layout: r.key_layout },
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
    base = { rowId: key.id, provider: key.provider, providerKeyId: key.provider_key_id }
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

  it('moves the DEK and the field key into one blob that unwraps only as both', async () => {
    const before = await row()
    assert.equal(before.key_layout, 'separate')
    const prepared = await prepare()
    assert.equal(
      await app.control.db
        .transaction()
        .execute((trx) => commitRewrap(trx, prepared, { at, state: 'active' })),
      true,
    )
    const after = await row()
    assert.equal(after.key_version, to.version)
    assert.equal(after.key_layout, 'together')
    // Not NULL ("no field key yet"), so a build before schema 8 can't create a second one.
    assert.equal(after.wrapped_field_key?.length, 0)
    const provider = app.control.providers.get(to.provider)
    if (
      provider === undefined ||
      after.wrapped_dek === null ||
      before.wrapped_dek === null ||
      before.wrapped_field_key === null
    ) {
      throw new Error('missing')
    }
    const ids = { tenantId: env.tenantId, environmentId: env.id }
    const ref = { keyId: to.providerKeyId, version: to.version }
    const oldRef = { keyId: from.providerKeyId, version: from.version }
    const oldDek = await provider.unwrap(
      oldRef,
      before.wrapped_dek,
      dekContext({ purpose: 'environment-db', ...ids }),
    )
    const oldField = await provider.unwrap(
      oldRef,
      before.wrapped_field_key,
      dekContext({ purpose: 'field', ...ids }),
    )
    const both = await provider.unwrap(
      ref,
      after.wrapped_dek,
      dekContext({ purpose: 'environment-keys', ...ids }),
    )
    assert.deepEqual(
      Buffer.from(both.expose()),
      Buffer.concat([oldDek.expose(), oldField.expose()]),
      'DEK ‖ field key, both unchanged',
    )
    // Through the control plane: each half, and no new field key for a row that has one.
    const current = await findEnvironment(app.control, 'acme', 'prod')
    const dek = await unwrapDataKey(app.control, current, 'environment-db')
    const field = await resolveFieldKey(app.control, env.id)
    if (dek === undefined) throw new Error('no DEK')
    assert.deepEqual(dek.expose(), oldDek.expose())
    assert.deepEqual(field.expose(), oldField.expose())
    assert.equal((await row()).wrapped_field_key?.length, 0)
    for (const k of [both, oldDek, oldField, field]) k.dispose()
    dek.dispose()
    // The one blob doesn't unwrap as either key alone, nor for another environment.
    for (const purpose of ['environment-db', 'field'] as const) {
      await assert.rejects(
        provider.unwrap(ref, after.wrapped_dek, dekContext({ purpose, ...ids })),
        (e: unknown) => (e as { code?: unknown }).code === 'KEY_UNWRAP_FAILED',
      )
    }
    await assert.rejects(
      provider.unwrap(
        ref,
        after.wrapped_dek,
        dekContext({ purpose: 'environment-keys', ...ids, environmentId: randomUUID() }),
      ),
      (e: unknown) => (e as { code?: unknown }).code === 'KEY_UNWRAP_FAILED',
    )
    // A second commit of the same re-wrap finds the row moved on.
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      false,
    )
  })

  it('re-wraps a row of one blob with one unwrap, and keeps it one blob', async () => {
    ;[from, to] = [to, from]
    const provider = app.control.providers.get(from.provider)
    if (provider === undefined) throw new Error('no provider')
    const purposes: string[] = []
    const unwrap = provider.unwrap.bind(provider)
    const counting = (ref: KeyRef, blob: Uint8Array, context: Uint8Array) => {
      purposes.push(Buffer.from(context).toString('latin1'))
      return unwrap(ref, blob, context)
    }
    const providers = app.control.providers as Map<string, KeyProvider>
    providers.set(
      from.provider,
      new Proxy(provider, {
        get: (target, name): unknown =>
          name === 'unwrap' ? counting : (Reflect.get(target, name) as unknown),
      }),
    )
    let prepared
    try {
      prepared = await prepare()
    } finally {
      providers.set(from.provider, provider)
    }
    assert.equal(purposes.length, 1)
    assert.ok(purposes[0]?.includes('environment-keys'))
    assert.equal(prepared.to.layout, 'together')
    assert.equal(prepared.to.fieldKey?.length, 0)
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      true,
    )
    const after = await row()
    assert.equal(after.key_version, to.version)
    assert.equal(after.key_layout, 'together')
  })

  it('keeps a missing field key missing, and loses to a field key created meanwhile', async () => {
    env = await createEnvironment(app.control, { tenant: 'acme', name: 'nofield', actor: 'test' })
    const start = await row()
    assert.equal(start.wrapped_field_key, null)
    from = { ...base, version: start.key_version }
    to = { ...base, version: start.key_version === 1 ? 2 : 1 }
    const prepared = await prepare()
    assert.equal(prepared.to.fieldKey, null)
    assert.equal(prepared.to.layout, 'separate')
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
    const after = await row()
    assert.equal(after.wrapped_field_key, null)
    assert.equal(after.key_layout, 'separate')
    assert.equal(after.key_version, to.version)
  })

  it('refuses to commit when the layout changed meanwhile', async () => {
    const now = (await row()).key_version
    from = { ...base, version: now }
    to = { ...base, version: now === 1 ? 2 : 1 }
    const prepared = await prepare()
    await app.control.db
      .updateTable('environments')
      .set({ key_layout: 'together' })
      .where('id', '=', env.id)
      .execute()
    assert.equal(
      await app.control.db.transaction().execute((trx) => commitRewrap(trx, prepared, { at })),
      false,
    )
    // The column takes the two layouts only.
    await assert.rejects(
      app.control.db
        .updateTable('environments')
        .set({ key_layout: 'bogus' as KeyLayout })
        .where('id', '=', env.id)
        .execute(),
      /CHECK constraint/,
    )
  })

  it('fails closed on a one-blob row whose blob is not two keys', async () => {
    const other = await createEnvironment(app.control, {
      tenant: 'acme',
      name: 'short',
      actor: 'test',
    })
    // 48 bytes wrapped under the right key and purpose: authentic, but not DEK ‖ field key.
    const odd = await wrapForEnvironment(
      app,
      other,
      new Secret(new Uint8Array(48).fill(7)),
      'environment-keys',
    )
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_dek: odd, key_layout: 'together' })
      .where('id', '=', other.id)
      .execute()
    for (const kind of ['environment-db', 'field'] as const) {
      await assert.rejects(
        unwrapDataKey(app.control, other, kind),
        (e: unknown) => (e as { code?: unknown }).code === 'KEY_UNWRAP_FAILED',
      )
    }
  })
})
