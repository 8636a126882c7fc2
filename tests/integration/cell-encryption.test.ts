// Cell-level encryption of sensitive columns (issue 6): values round-trip through the Web API
// and the records API; a sealed cell moved to another row, column or environment fails to
// decrypt; filters and sorts that need plaintext are refused; key rotation and policy changes
// keep encrypted values readable; a locked environment reads none; and no plaintext is found
// anywhere under the data directory, nor in the decrypted pages of the environment database.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3-multiple-ciphers'
import { sql } from 'kysely'
import type { Strongroom } from '../../src/app.ts'
import {
  deleteEnvironment,
  purgeEnvironment,
} from '../../src/control/environments/change-environment-state.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { findEnvironment, type Environment } from '../../src/control/environments/environment.ts'
import {
  resolveEnvironmentKey,
  unlockEnvironment,
} from '../../src/control/environments/resolve-environment-key.ts'
import { createTenantKey } from '../../src/control/keys/create-tenant-key.ts'
import { restoreTenantKey } from '../../src/control/keys/restore-tenant-key.ts'
import { revokeTenantKey } from '../../src/control/keys/revoke-tenant-key.ts'
import { rotateTenantKey } from '../../src/control/keys/tenant-keys.ts'
import { addEnvironmentToPolicy } from '../../src/control/policies/add-environment-to-policy.ts'
import { createPolicy } from '../../src/control/policies/create-policy.ts'
import { removeEnvironmentFromPolicy } from '../../src/control/policies/remove-environment-from-policy.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { unwrapDataKey } from '../../src/control/environments/unwrap-data-key.ts'
import { wrapForEnvironment } from '../helpers/wrap-for-environment.ts'
import { dekContext } from '../../src/keys/envelope.ts'
import { AppError, type ErrorCode } from '../../src/shared/errors.ts'
import { cli, cliJson, tempDir } from '../helpers/cli.ts'
import { openBatchFixture } from '../helpers/batch-fixture.ts'
import { filesContaining } from '../helpers/files.ts'
import { entityIdOf, odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'
import { openApp } from '../helpers/open-app.ts'

type Row = Record<string, unknown>

const fails = (code: ErrorCode, text?: RegExp) => (e: unknown) =>
  e instanceof AppError && e.code === code && (text === undefined || text.test(e.message))

/** new_person: an encrypted string with a blind index, an encrypted memo, a lookup. */
async function addPersonTable(app: Strongroom, env: Environment): Promise<void> {
  await app.records.createTable(env.id, {
    name: 'new_person',
    entitySetName: 'new_people',
    ownership: 'user',
  })
  await app.records.addColumn(env.id, 'new_person', {
    name: 'new_nationalid',
    type: 'string',
    options: { maxLength: 80, encrypted: true, blindIndex: true },
  })
  await app.records.addColumn(env.id, 'new_person', {
    name: 'new_password',
    type: 'memo',
    options: { encrypted: true },
  })
  await app.records.addColumn(env.id, 'new_person', {
    name: 'new_accountid',
    type: 'lookup',
    options: { targets: ['account'] },
  })
}

/** Writes a stored value directly (what an attacker with database access could do). */
async function setStored(
  app: Strongroom,
  env: Environment,
  id: string,
  column: string,
  value: unknown,
): Promise<void> {
  await app.databases.use(env.id, (db) =>
    db
      .updateTable('new_person')
      .set({ [column]: value })
      .where('new_personid', '=', id)
      .execute(),
  )
}

async function stored(app: Strongroom, env: Environment, id: string, column: string) {
  return app.databases.use(env.id, async (db) => {
    const row = await db
      .selectFrom('new_person')
      .select(column)
      .where('new_personid', '=', id)
      .executeTakeFirstOrThrow()
    return row[column]
  })
}

describe('cell-level encryption through the Web API', () => {
  let f: ODataFixture
  let accountId = ''

  before(async () => {
    f = await odataFixture()
    await addPersonTable(f.app, f.env)
    await f.app.records.addColumn(f.env.id, 'account', {
      name: 'new_taxid',
      type: 'string',
      options: { encrypted: true },
    })
    accountId = entityIdOf(
      await f.call('POST', 'accounts', { body: { name: 'Contoso', new_taxid: 'TAX-77' } }),
    )
  })
  after(async () => {
    await f.close()
  })

  it('round-trips: create, retrieve, $select, query, PATCH, property GET/PUT, upsert, $expand', async () => {
    const created = await f.call('POST', 'new_people', {
      body: {
        name: 'Ada',
        new_nationalid: 'NI-123-456',
        new_password: 'correct horse battery staple',
        'new_accountid@odata.bind': `/accounts(${accountId})`,
      },
    })
    assert.equal(created.status, 204, JSON.stringify(created.json))
    const id = entityIdOf(created)
    const got = await f.call('GET', `new_people(${id})`)
    assert.equal(got.json['new_nationalid'], 'NI-123-456')
    assert.equal(got.json['new_password'], 'correct horse battery staple')
    assert.ok(!Object.keys(got.json).some((k) => k.includes('bidx')))
    const selected = await f.call('GET', `new_people(${id})`, {
      query: { $select: 'new_nationalid' },
    })
    assert.equal(selected.json['new_nationalid'], 'NI-123-456')
    assert.ok(!('new_password' in selected.json))

    const patched = await f.call('PATCH', `new_people(${id})`, { body: { new_password: 'pw2' } })
    assert.equal(patched.status, 204)
    const prop = await f.call('GET', `new_people(${id})/new_password`)
    assert.equal(prop.json['value'], 'pw2')
    const put = await f.call('PUT', `new_people(${id})/new_nationalid`, {
      body: { value: 'NI-999' },
    })
    assert.equal(put.status, 204)
    const listed = await f.call('GET', 'new_people', {
      query: { $select: 'name,new_nationalid,new_password' },
    })
    assert.deepEqual(
      (listed.json['value'] as Row[]).map((r) => [
        r['name'],
        r['new_nationalid'],
        r['new_password'],
      ]),
      [['Ada', 'NI-999', 'pw2']],
    )

    // Upsert: PATCH to a new id creates the record.
    const newId = randomUUID()
    const upsert = await f.call('PATCH', `new_people(${newId})`, {
      body: { name: 'Upserted', new_nationalid: 'NI-UPSERT' },
    })
    assert.equal(upsert.status, 204)
    const upserted = await f.call('GET', `new_people(${newId})`)
    assert.equal(upserted.json['new_nationalid'], 'NI-UPSERT')

    // $expand reads the expanded table's encrypted column too.
    const expanded = await f.call('GET', `new_people(${id})`, {
      query: { $select: 'name', $expand: 'new_accountid($select=name,new_taxid)' },
    })
    assert.equal(expanded.status, 200, JSON.stringify(expanded.json))
    assert.equal((expanded.json['new_accountid'] as Row)['new_taxid'], 'TAX-77')

    // The stored cells are sealed blobs; maxLength counts the plaintext.
    const cell = await stored(f.app, f.env, id, 'new_nationalid')
    assert.ok(cell instanceof Uint8Array)
    assert.equal(Buffer.from(cell).includes('NI-999'), false)
    const tooLong = await f.call('POST', 'new_people', {
      body: { new_nationalid: 'x'.repeat(81) },
    })
    assert.equal(tooLong.status, 400)
  })

  it('filters by eq through the blind index; refuses what needs plaintext', async () => {
    const id = entityIdOf(
      await f.call('POST', 'new_people', { body: { name: 'Eve', new_nationalid: 'NI-EVE-1' } }),
    )
    const eq = await f.call('GET', 'new_people', {
      query: { $filter: "new_nationalid eq 'ni-eve-1'", $select: 'name', $count: 'true' },
    })
    assert.equal(eq.status, 200, JSON.stringify(eq.json))
    assert.deepEqual(
      (eq.json['value'] as Row[]).map((r) => r['new_personid']),
      [id],
    )
    assert.equal(eq.json['@odata.count'], 1)
    const nulls = await f.call('GET', 'new_people', {
      query: { $filter: 'new_password eq null and new_nationalid ne null', $select: 'name' },
    })
    assert.ok((nulls.json['value'] as Row[]).some((r) => r['name'] === 'Eve'))

    for (const query of [
      { $filter: "new_password eq 'pw2'" },
      { $filter: "new_nationalid ne 'NI-EVE-1'" },
      { $filter: "new_nationalid lt 'NI'" },
      { $filter: "contains(new_nationalid,'EVE')" },
      { $filter: "endswith(new_password,'2')" },
      { $filter: 'new_nationalid eq name' },
      { $orderby: 'new_nationalid' },
    ]) {
      const res = await f.call('GET', 'new_people', { query })
      assert.equal(res.status, 400, JSON.stringify(query))
      assert.match(
        JSON.stringify(res.json),
        /"code":"0x80060888","message":"Column '[a-z_]+' is encrypted/,
      )
    }
    const sorted = await f.call('GET', 'accounts', { query: { $orderby: 'new_taxid desc' } })
    assert.equal(sorted.status, 400)
    const nested = await f.call('GET', `accounts(${accountId})`, {
      query: { $expand: "new_person_new_accountid($filter=new_password eq 'x')" },
    })
    assert.equal(nested.status, 400, JSON.stringify(nested.json))
    assert.match(nested.error?.message ?? '', /is encrypted/)
  })

  it('a cell copied to another row or column fails with a clear error, never its plaintext', async () => {
    const a = entityIdOf(
      await f.call('POST', 'new_people', {
        body: { name: 'A', new_nationalid: 'NI-A-SECRET', new_password: 'pw-A-SECRET' },
      }),
    )
    const b = entityIdOf(
      await f.call('POST', 'new_people', {
        body: { name: 'B', new_nationalid: 'NI-B', new_password: 'pw-B' },
      }),
    )
    const cellOfA = await stored(f.app, f.env, a, 'new_nationalid')
    await setStored(f.app, f.env, b, 'new_nationalid', cellOfA)
    const swappedRow = await f.call('GET', `new_people(${b})`)
    assert.equal(swappedRow.status, 500)
    assert.match(
      swappedRow.error?.message ?? '',
      /^The encrypted value of new_person\.new_nationalid in record [0-9a-f-]{36} could not be authenticated/,
    )
    assert.ok(!JSON.stringify(swappedRow.json).includes('SECRET'))
    // The same query, also as a collection, refuses instead of answering.
    const list = await f.call('GET', 'new_people', { query: { $select: 'new_nationalid' } })
    assert.equal(list.status, 500)
    assert.ok(!JSON.stringify(list.json).includes('SECRET'))

    await setStored(f.app, f.env, a, 'new_password', cellOfA)
    const swappedColumn = await f.call('GET', `new_people(${a})/new_password`)
    assert.equal(swappedColumn.status, 500)
    assert.match(swappedColumn.error?.message ?? '', /new_person\.new_password/)
    assert.ok(!JSON.stringify(swappedColumn.json).includes('SECRET'))
    // Columns not selected aren't decrypted: the rest of the record still reads.
    const rest = await f.call('GET', `new_people(${a})`, { query: { $select: 'new_nationalid' } })
    assert.equal(rest.json['new_nationalid'], 'NI-A-SECRET')
    // A blob that isn't a sealed cell at all fails the same way.
    await setStored(f.app, f.env, b, 'new_password', new Uint8Array(40))
    assert.equal((await f.call('GET', `new_people(${b})/new_password`)).status, 500)
    // Clean up for the other tests.
    await f.call('DELETE', `new_people(${a})`)
    await f.call('DELETE', `new_people(${b})`)
  })

  it('EntityDefinitions annotate encrypted columns (not as IsSecured)', async () => {
    const res = await f.call(
      'GET',
      "EntityDefinitions(LogicalName='new_person')/Attributes(LogicalName='new_nationalid')",
    )
    assert.equal(res.status, 200)
    assert.equal(res.json['@Strongroom.Encrypted'], true)
    assert.equal(res.json['@Strongroom.BlindIndex'], true)
    // Encryption is not column security: IsSecured stays false (docs/authz.md §12).
    assert.equal(res.json['IsSecured'], false)
    const plain = await f.call(
      'GET',
      "EntityDefinitions(LogicalName='new_person')/Attributes(LogicalName='name')",
    )
    assert.equal(plain.json['@Strongroom.Encrypted'], undefined)
  })
})

describe('cell-level encryption in $batch', () => {
  it('creates and reads encrypted values in a change set', async () => {
    const f = await openBatchFixture()
    try {
      await addPersonTable(f.app, f.env)
      const api = f.ctx.webApiUrl
      const CRLF = '\r\n'
      const body = [
        '--batch_1',
        'Content-Type: multipart/mixed; boundary=cs_1',
        '',
        '--cs_1',
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        'Content-ID: 1',
        '',
        `POST ${api}new_people HTTP/1.1`,
        'Content-Type: application/json',
        '',
        JSON.stringify({ name: 'Batched', new_nationalid: 'NI-BATCH' }),
        '--cs_1--',
        '--batch_1',
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        '',
        `GET ${api}new_people?$filter=new_nationalid%20eq%20'NI-BATCH'&$select=new_nationalid HTTP/1.1`,
        '',
        '',
        '--batch_1--',
        '',
      ].join(CRLF)
      const res = await f.batch(body)
      assert.deepEqual(
        res.parts.map((p) => p.status),
        [204, 200],
      )
      const listed = JSON.parse(res.parts[1]?.body ?? '{}') as { value: Row[] }
      assert.deepEqual(
        listed.value.map((r) => r['new_nationalid']),
        ['NI-BATCH'],
      )
    } finally {
      await f.close()
    }
  })
})

describe('cell-level encryption: keys, environments and data at rest', () => {
  const dir = tempDir('sr-cells-')
  let app: Strongroom
  let prod: Environment
  let test: Environment
  let actorId = ''
  let testActorId = ''
  const canary = `CELLCANARY-${randomUUID()}`
  const plainCanary = `PLAINCANARY-${randomUUID()}`
  const markedCanary = `MARKEDCANARY-${randomUUID()}`
  const sharedId = randomUUID()

  const read = (env: Environment, id: string) =>
    app.records.retrieveRecord(env.id, 'new_person', id)
  const fieldKeyRow = (env: Environment) =>
    app.control.db
      .selectFrom('environments')
      .select(['key_id', 'key_version', 'wrapped_dek', 'wrapped_field_key', 'key_layout'])
      .where('id', '=', env.id)
      .executeTakeFirstOrThrow()

  before(async () => {
    app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    prod = await createEnvironment(app.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    test = await createEnvironment(app.control, { tenant: 'acme', name: 'test', actor: 'test' })
    actorId = (await app.records.readProvisionedIds(prod.id)).systemUserId
    testActorId = (await app.records.readProvisionedIds(test.id)).systemUserId
    await addPersonTable(app, prod)
    await addPersonTable(app, test)
  })
  after(async () => {
    await app.close()
    dir.remove()
  })

  it('creates a field key when an environment first needs one, wrapped beside the DEK under its own purpose', async () => {
    // None at creation: an environment that never encrypts a column holds one wrapped key.
    const other = await createEnvironment(app.control, {
      tenant: 'acme',
      name: 'nofield',
      actor: 'test',
    })
    assert.equal((await fieldKeyRow(other)).wrapped_field_key, null)
    await addPersonTable(app, other)
    assert.equal((await fieldKeyRow(other)).wrapped_field_key, null)
    const otherActor = (await app.records.readProvisionedIds(other.id)).systemUserId
    const id = await app.records.createRecord(
      other.id,
      'new_person',
      { name: 'First', new_nationalid: 'NI-FIRST' },
      { actorId: otherActor },
    )
    assert.ok((await fieldKeyRow(other)).wrapped_field_key instanceof Uint8Array)
    assert.equal((await read(other, id))['new_nationalid'], 'NI-FIRST')

    const row = await fieldKeyRow(other)
    assert.ok(row.wrapped_field_key instanceof Uint8Array)
    assert.notDeepEqual(row.wrapped_field_key, row.wrapped_dek)
    const provider = app.control.providers.get(other.key.provider)
    assert.ok(provider !== undefined)
    const ref = { keyId: other.key.keyId, version: row.key_version }
    const ids = { tenantId: other.tenantId, environmentId: other.id }
    // Neither wrapped key unwraps as the other's purpose.
    await assert.rejects(
      provider.unwrap(
        ref,
        row.wrapped_dek ?? new Uint8Array(0),
        dekContext({ purpose: 'field', ...ids }),
      ),
      fails('KEY_UNWRAP_FAILED'),
    )
    await assert.rejects(
      provider.unwrap(
        ref,
        row.wrapped_field_key,
        dekContext({ purpose: 'environment-db', ...ids }),
      ),
      fails('KEY_UNWRAP_FAILED'),
    )
    const fieldKey = await provider.unwrap(
      ref,
      row.wrapped_field_key,
      dekContext({ purpose: 'field', ...ids }),
    )
    assert.equal(fieldKey.length, 32)
    fieldKey.dispose()
  })

  it('a cell copied to another environment fails, even for the same table, column and id', async () => {
    await app.records.createRecord(
      prod.id,
      'new_person',
      { new_personid: sharedId, name: 'Twin', new_nationalid: 'NI-PROD-ONLY' },
      { actorId },
    )
    await app.records.createRecord(
      test.id,
      'new_person',
      { new_personid: sharedId, name: 'Twin', new_nationalid: 'NI-TEST' },
      { actorId: testActorId },
    )
    const fromProd = await stored(app, prod, sharedId, 'new_nationalid')
    await setStored(app, test, sharedId, 'new_nationalid', fromProd)
    await assert.rejects(read(test, sharedId), (e: unknown) => {
      assert.ok(fails('DECRYPT_FAILED', /new_person\.new_nationalid/)(e))
      assert.ok(!(e as Error).message.includes('NI-PROD-ONLY'))
      return true
    })
    assert.equal((await read(prod, sharedId))['new_nationalid'], 'NI-PROD-ONLY')
    // The blind index is per environment too: prod's index value finds nothing in test.
    const fromProdIndex = await stored(app, prod, sharedId, '_bidx_new_nationalid')
    const testIndex = await stored(app, test, sharedId, '_bidx_new_nationalid')
    assert.notDeepEqual(fromProdIndex, testIndex)
  })

  it('key rotation and policy add/remove keep encrypted values readable', async () => {
    const id = await app.records.createRecord(
      prod.id,
      'new_person',
      { name: 'Rotated', new_nationalid: 'NI-ROT', new_password: 'pw-rot' },
      { actorId },
    )
    const check = async (label: string) => {
      // A cold open: the DEK and the field key are unwrapped again from what is stored now.
      await app.databases.closeAll()
      const r = await read(prod, id)
      assert.equal(r['new_password'], 'pw-rot', label)
      const found = await app.records.queryRecords(prod.id, 'new_person', {
        count: false,
        filter: {
          kind: 'compare',
          operator: 'eq',
          left: { kind: 'property', column: 'new_nationalid', lookupValue: false },
          right: { kind: 'string', value: 'NI-ROT' },
        },
      })
      assert.equal(found.records.length, 1, label)
    }
    const before = await fieldKeyRow(prod)
    await rotateTenantKey(app.control, { tenant: 'acme', name: 'service', actor: 'test' })
    const rotated = await fieldKeyRow(prod)
    assert.equal(rotated.key_version, before.key_version + 1)
    // One blob holds DEK ‖ field key from the first re-wrap on (one unwrap per rotation).
    assert.equal(before.key_layout, 'separate')
    assert.equal(rotated.key_layout, 'together')
    assert.equal(rotated.wrapped_field_key?.length, 0)
    assert.notDeepEqual(rotated.wrapped_dek, before.wrapped_dek)
    await check('after rotation')

    await createTenantKey(app.control, {
      tenant: 'acme',
      name: 'cmk',
      provider: 'local',
      actor: 'test',
    })
    await createPolicy(app.control, { tenant: 'acme', name: 'pol', key: 'cmk', actor: 'test' })
    await addEnvironmentToPolicy(app.control, {
      tenant: 'acme',
      policy: 'pol',
      env: 'prod',
      actor: 'test',
    })
    const moved = await fieldKeyRow(prod)
    assert.notEqual(moved.key_id, rotated.key_id)
    assert.equal(moved.key_layout, 'together')
    assert.notDeepEqual(moved.wrapped_dek, rotated.wrapped_dek)
    await check('under the customer key')

    // Revoked: the environment locks, its handle (and field key) goes, nothing reads.
    await revokeTenantKey(app.control, { tenant: 'acme', name: 'cmk', actor: 'test' })
    assert.equal((await findEnvironment(app.control, 'acme', 'prod')).state, 'locked')
    await assert.rejects(read(prod, id), fails('ENVIRONMENT_LOCKED'))
    await restoreTenantKey(app.control, { tenant: 'acme', name: 'cmk', actor: 'test' })
    await unlockEnvironment(app.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    await check('after unlock')

    await removeEnvironmentFromPolicy(app.control, {
      tenant: 'acme',
      policy: 'pol',
      env: 'prod',
      actor: 'test',
    })
    const back = await fieldKeyRow(prod)
    assert.equal(back.key_id, rotated.key_id)
    await check('back on the service key')
  })

  it('an environment without a field key (created before it existed) gets one on first use', async () => {
    // Make its row what an environment created before field keys has: its DEK wrapped alone.
    const current = await findEnvironment(app.control, 'acme', 'test')
    const dek = await unwrapDataKey(app.control, current, 'environment-db')
    if (dek === undefined) throw new Error('missing')
    const dekAlone = await wrapForEnvironment(app, test, dek, 'environment-db')
    dek.dispose()
    await app.control.db
      .updateTable('environments')
      .set({ wrapped_dek: dekAlone, wrapped_field_key: null, key_layout: 'separate' })
      .where('id', '=', test.id)
      .execute()
    await app.databases.closeAll()
    // Its old cells were sealed under the lost key: a damaged-data case, refused, not misread.
    await assert.rejects(read(test, sharedId), fails('DECRYPT_FAILED'))
    const id = await app.records.createRecord(
      test.id,
      'new_person',
      { name: 'Fresh', new_nationalid: 'NI-FRESH' },
      { actorId: testActorId },
    )
    assert.equal((await read(test, id))['new_nationalid'], 'NI-FRESH')
    const row = await fieldKeyRow(test)
    assert.ok(row.wrapped_field_key instanceof Uint8Array)
    await app.databases.closeAll()
    assert.equal((await read(test, id))['new_nationalid'], 'NI-FRESH')
  })

  it('purging an environment destroys its wrapped field key', async () => {
    await deleteEnvironment(app.control, { tenant: 'acme', name: 'test', actor: 'test' })
    await purgeEnvironment(app.control, {
      tenant: 'acme',
      name: 'test',
      actor: 'test',
      force: true,
    })
    const row = await fieldKeyRow(test)
    assert.equal(row.wrapped_dek, null)
    assert.equal(row.wrapped_field_key, null)
  })

  it('the canary scan finds no plaintext: not in any file, nor in the decrypted pages', async () => {
    await app.records.createRecord(
      prod.id,
      'new_person',
      { name: plainCanary, new_nationalid: canary, new_password: `${canary} in a memo` },
      { actorId },
    )
    // A populated plaintext column, then marked encrypted: its old values must be gone too.
    await app.records.addColumn(prod.id, 'new_person', { name: 'new_legacy', type: 'memo' })
    await app.records.createRecord(
      prod.id,
      'new_person',
      { name: 'Marked', new_legacy: markedCanary },
      { actorId },
    )
    const marked = await app.records.setColumnEncryption(prod.id, 'new_person', 'new_legacy', {
      encrypted: true,
      blindIndex: true,
    })
    assert.equal(marked.values, 1)
    const found = await app.records.queryRecords(prod.id, 'new_person', {
      count: false,
      select: ['new_legacy'],
      filter: {
        kind: 'compare',
        operator: 'eq',
        left: { kind: 'property', column: 'new_legacy', lookupValue: false },
        right: { kind: 'string', value: markedCanary },
      },
    })
    assert.deepEqual(
      found.records.map((r) => r['new_legacy']),
      [markedCanary],
    )
    const dek = await resolveEnvironmentKey(app.control, prod.id)
    const dekBytes = dek.expose().slice()
    dek.dispose()
    await app.close()

    // DESIGN invariant 2: every byte of every file under the data directory.
    assert.deepEqual(filesContaining(dir.path, canary), [])
    assert.deepEqual(filesContaining(dir.path, markedCanary), [])

    // What a database host would see (the PostgreSQL case, DESIGN "Storage engines"): the
    // environment database with its page encryption removed.
    const file = join(dir.path, 'environments', `${prod.id}.db`)
    const copy = join(dir.path, 'decrypted-copy.db')
    copyFileSync(file, copy)
    const db = new Database(copy)
    db.pragma("cipher='aegis'")
    db.pragma(`key="x'${Buffer.from(dekBytes).toString('hex')}'"`)
    db.pragma('journal_mode = DELETE')
    db.pragma("rekey=''")
    db.close()
    const pages = readFileSync(copy)
    assert.equal(pages.subarray(0, 15).toString(), 'SQLite format 3')
    // The scan sees plaintext where there is some: the primary name is not encrypted.
    assert.ok(pages.includes(plainCanary))
    for (const secret of [canary, markedCanary]) {
      for (const form of [
        Buffer.from(secret),
        Buffer.from(secret.toLowerCase()),
        Buffer.from(secret, 'utf16le'),
        Buffer.from(Buffer.from(secret).toString('hex')),
        Buffer.from(Buffer.from(secret).toString('base64')),
      ]) {
        assert.equal(pages.includes(form), false, `plaintext of ${secret.slice(0, 12)} found`)
      }
    }
    app = await openApp(dir.path)
  })
})

describe('a data directory from before field keys (control schema 3)', () => {
  it('upgrades, and each environment gets its field key on first use', async () => {
    const dir = tempDir('sr-cells-upgrade-')
    try {
      let app = await openApp(dir.path, { init: true })
      await createTenant(app.control, { name: 'acme', actor: 'test' })
      const env = await createEnvironment(app.control, {
        tenant: 'acme',
        name: 'old',
        actor: 'test',
      })
      // Make it what version 3 wrote: no wrapped_field_key column at all (nor version 5's, 6's,
      // 7's and 8's).
      await sql`ALTER TABLE environments DROP COLUMN wrapped_field_key`.execute(app.control.db)
      await sql`ALTER TABLE environments DROP COLUMN locked_from`.execute(app.control.db)
      await sql`ALTER TABLE tenant_keys DROP COLUMN revoked_versions`.execute(app.control.db)
      await sql`ALTER TABLE tenant_keys DROP COLUMN health`.execute(app.control.db)
      await sql`ALTER TABLE tenant_keys DROP COLUMN health_since`.execute(app.control.db)
      await sql`ALTER TABLE tenant_keys DROP COLUMN health_checked_at`.execute(app.control.db)
      await sql`ALTER TABLE tenant_keys DROP COLUMN expiry_checked_on`.execute(app.control.db)
      await sql`ALTER TABLE identity_clients DROP COLUMN groups`.execute(app.control.db)
      await sql`ALTER TABLE environments DROP COLUMN key_layout`.execute(app.control.db)
      await app.control.db
        .updateTable('control_meta')
        .set({ value: '3' })
        .where('key', '=', 'schema_version')
        .execute()
      await app.close()

      app = await openApp(dir.path)
      try {
        const meta = await app.control.db
          .selectFrom('control_meta')
          .select('value')
          .where('key', '=', 'schema_version')
          .executeTakeFirstOrThrow()
        assert.equal(meta.value, '8')
        const before = await app.control.db
          .selectFrom('environments')
          .select('wrapped_field_key')
          .where('id', '=', env.id)
          .executeTakeFirstOrThrow()
        assert.equal(before.wrapped_field_key, null)
        const { systemUserId } = await app.records.readProvisionedIds(env.id)
        await app.records.addColumn(env.id, 'account', {
          name: 'new_pin',
          type: 'string',
          options: { encrypted: true },
        })
        const id = await app.records.createRecord(
          env.id,
          'account',
          { name: 'x', new_pin: '1234' },
          { actorId: systemUserId },
        )
        const after = await app.control.db
          .selectFrom('environments')
          .select('wrapped_field_key')
          .where('id', '=', env.id)
          .executeTakeFirstOrThrow()
        assert.ok(after.wrapped_field_key instanceof Uint8Array)
        await app.databases.closeAll()
        const read = await app.records.retrieveRecord(env.id, 'account', id)
        assert.equal(read['new_pin'], '1234')
      } finally {
        await app.close()
      }
    } finally {
      dir.remove()
    }
  })
})

describe('cell-level encryption in the CLI', () => {
  const dir = tempDir('sr-cells-cli-')
  const data = join(dir.path, 'data')
  const env = ['--tenant', 'acme', '--env', 'prod']
  before(async () => {
    await cliJson(data, ['init'])
    await cliJson(data, ['tenant', 'create', 'acme'])
    await cliJson(data, ['env', 'create', 'prod', '--tenant', 'acme'])
    await cliJson(data, ['table', 'create', 'new_vault', ...env])
  })
  after(() => {
    dir.remove()
  })

  it('column add --encrypted --blind-index, column encrypt, and a refused column decrypt', async () => {
    const added = await cliJson<{ options: Row }>(data, [
      'column',
      'add',
      'new_vault',
      'new_token',
      '--type',
      'string',
      '--encrypted',
      '--blind-index',
      ...env,
    ])
    assert.deepEqual(added.options, { maxLength: 100, encrypted: true, blindIndex: true })
    await cliJson(data, ['column', 'add', 'new_vault', 'new_note', '--type', 'memo', ...env])
    await cliJson(data, [
      'record',
      'create',
      'new_vault',
      '--data',
      JSON.stringify({ name: 'one', new_note: 'note one' }),
      ...env,
    ])
    const encrypted = await cliJson<{ table: string; changed: boolean; values: number }>(data, [
      'column',
      'encrypt',
      'new_vault',
      'new_note',
      ...env,
    ])
    assert.deepEqual(
      { table: encrypted.table, changed: encrypted.changed, values: encrypted.values },
      { table: 'new_vault', changed: true, values: 1 },
    )
    const human = await cli(data, ['column', 'encrypt', 'new_vault', 'new_note', ...env])
    assert.equal(human.code, 0)
    assert.match(human.stdout, /already encrypted/)
    const list = await cliJson<{ records: Row[] }>(data, ['record', 'list', 'new_vault', ...env])
    assert.equal(list.records[0]?.['new_note'], 'note one')
    const filtered = await cli(data, [
      'record',
      'list',
      'new_vault',
      '--filter',
      "new_note eq 'note one'",
      ...env,
    ])
    assert.equal(filtered.code, 2)
    assert.match(filtered.stderr, /QUERY_ENCRYPTED_COLUMN/)

    const refused = await cli(data, ['column', 'decrypt', 'new_vault', 'new_note', ...env])
    assert.equal(refused.code, 4)
    assert.match(refused.stderr, /COLUMN_ENCRYPTION_IRREVERSIBLE/)
    assert.match(refused.stderr, /one-way/)
    const badType = await cli(data, [
      'column',
      'add',
      'new_vault',
      'new_n',
      '--type',
      'wholenumber',
      '--encrypted',
      ...env,
    ])
    assert.equal(badType.code, 2)
    const help = await cli(data, ['help'])
    assert.ok(help.stdout.includes('column encrypt'))
  })
})
