import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { resolveEnvironmentKey } from '../../src/control/environments/resolve-environment-key.ts'
import { resolveFieldKey } from '../../src/control/environments/resolve-field-key.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { allFiles, filesContaining } from '../helpers/files.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

// DESIGN invariant 2: nothing in plaintext at rest. Every byte of every file under the data
// directory (environment databases, WAL, shm, control plane, vault, keyring) is scanned.
describe('encryption at rest (canary scan)', () => {
  const dir = tempDir('sr-canary-')
  const canary = `CANARY-${randomUUID()}`
  let dek: Uint8Array
  let fieldKey: Uint8Array

  before(async () => {
    const app = await openApp(dir.path, { init: true })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    const env = await createEnvironment(app.control, {
      tenant: 'acme',
      name: 'prod',
      actor: 'test',
    })
    const { systemUserId } = await app.records.readProvisionedIds(env.id)
    // With cell-level encryption on too (issue 6): an encrypted column with a blind index.
    await app.records.addColumn(env.id, 'account', {
      name: 'new_secret',
      type: 'string',
      options: { encrypted: true, blindIndex: true },
    })
    await app.records.createRecord(
      env.id,
      'account',
      {
        name: canary,
        description: `${canary} in a memo`,
        emailaddress1: `${canary}@example.com`,
        new_secret: `${canary} sealed`,
      },
      { actorId: systemUserId },
    )
    await app.records.createTable(env.id, {
      name: `t_${canary.slice(7, 15).replace(/-/g, '')}`,
      ownership: 'user',
    })
    const key = await resolveEnvironmentKey(app.control, env.id)
    dek = key.expose().slice()
    key.dispose()
    const field = await resolveFieldKey(app.control, env.id)
    fieldKey = field.expose().slice()
    field.dispose()
    await app.close()
  })
  after(() => {
    dir.remove()
  })

  it('writes the files it is meant to', () => {
    const names = allFiles(dir.path).map((f) => f.slice(dir.path.length + 1))
    for (const expected of [
      'keyring.json',
      'vault.db',
      'control.db',
      'master.key',
      'strongroom.json',
    ]) {
      assert.ok(names.includes(expected), `${expected} missing`)
    }
    assert.ok(names.some((n) => n.startsWith('environments/') && n.endsWith('.db')))
  })

  it('never stores the canary record value in any file', () => {
    assert.deepEqual(filesContaining(dir.path, canary), [])
  })

  it('never stores the environment DEK in any file', () => {
    assert.equal(dek.length, 32)
    assert.deepEqual(filesContaining(dir.path, dek), [])
  })

  it('never stores the environment field key in any file', () => {
    assert.equal(fieldKey.length, 32)
    assert.notDeepEqual(fieldKey, dek)
    assert.deepEqual(filesContaining(dir.path, fieldKey), [])
  })

  it('never stores the canary after an interrupted transaction', async () => {
    const app = await openApp(dir.path)
    await createEnvironment(app.control, { tenant: 'acme', name: 'crash', actor: 'test' })
    await app.close()
    const canary2 = `INTERRUPTED-${randomUUID()}`
    const child = spawn(process.execPath, [
      resolve('build/tests/helpers/crash-writer.js'),
      dir.path,
      'hold',
      'acme',
      'crash',
      canary2,
    ])
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    while (!out.includes('holding')) {
      await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])
      if (child.exitCode !== null) assert.fail(`writer exited early: ${String(child.exitCode)}`)
    }
    // The open transaction is larger than the page cache, so its pages are in the WAL now.
    const envFiles = allFiles(dir.path).filter((f) => f.includes('environments'))
    const wal = envFiles
      .filter((f) => f.endsWith('-wal'))
      .map((f) => statSync(f, { throwIfNoEntry: false })?.size ?? 0)
    assert.ok(
      wal.some((size) => size > 1_000_000),
      `expected a spilled WAL, saw ${wal.join(',')}`,
    )
    child.kill('SIGKILL')
    await once(child, 'exit')
    assert.deepEqual(filesContaining(dir.path, canary2), [])

    // And the uncommitted rows are gone after reopening.
    const reopened = await openApp(dir.path)
    try {
      const env = await findEnvironment(reopened.control, 'acme', 'crash')
      const rows = await reopened.databases.use(env.id, (db) =>
        db.selectFrom('account').select('name').where('name', 'like', `${canary2}%`).execute(),
      )
      assert.equal(rows.length, 0)
    } finally {
      await reopened.close()
    }
  })
})
