import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { tempDir, cli, cliJson, spawnCli } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'

interface EnvJson {
  id: string
  state: string
}

// Bad input and faults: each gets a clear error with a stable code and a non-zero exit, and
// nothing already stored is lost or half-written.
describe('faults', () => {
  const dir = tempDir('sr-fault-')
  const data = join(dir.path, 'data')
  let accountId = ''

  before(async () => {
    await cliJson(data, ['init'])
    await cliJson(data, ['tenant', 'create', 'acme'])
    await cliJson(data, ['env', 'create', 'prod', '--tenant', 'acme'])
    await cliJson(data, ['env', 'create', 'spare', '--tenant', 'acme'])
    accountId = (
      await cliJson<{ id: string }>(data, [
        'record',
        'create',
        'account',
        '--tenant',
        'acme',
        '--env',
        'prod',
        '--data',
        '{"name":"keep me"}',
      ])
    ).id
  })
  after(() => {
    dir.remove()
  })

  const stillThere = async () => {
    const rec = await cliJson<Record<string, unknown>>(data, [
      'record',
      'get',
      'account',
      accountId,
      '--tenant',
      'acme',
      '--env',
      'prod',
    ])
    assert.equal(rec['name'], 'keep me')
  }

  it('uninitialised data directory → DATA_DIR_NOT_INITIALISED, exit 6', async () => {
    const r = await cli(join(dir.path, 'empty'), ['tenant', 'list'])
    assert.equal(r.code, 6)
    assert.match(r.stderr, /DATA_DIR_NOT_INITIALISED/)
  })

  it('init twice → ALREADY_EXISTS, and nothing is overwritten', async () => {
    const keyring = readFileSync(join(data, 'keyring.json'))
    const r = await cli(data, ['init'])
    assert.equal(r.code, 4)
    assert.match(r.stderr, /ALREADY_EXISTS/)
    assert.deepEqual(readFileSync(join(data, 'keyring.json')), keyring)
  })

  it('missing master key → MASTER_KEY_MISSING', async () => {
    const r = await cli(data, ['tenant', 'list'], {
      env: { STRONGROOM_MASTER_KEY_FILE: join(dir.path, 'nope.key') },
    })
    assert.equal(r.code, 6)
    assert.match(r.stderr, /MASTER_KEY_MISSING/)
  })

  it('wrong master key → MASTER_KEY_MISMATCH; malformed → MASTER_KEY_INVALID', async () => {
    const wrong = await cli(data, ['tenant', 'list'], {
      env: { STRONGROOM_MASTER_KEY: 'ab'.repeat(32) },
    })
    assert.equal(wrong.code, 6)
    assert.match(wrong.stderr, /MASTER_KEY_MISMATCH/)
    const bad = await cli(data, ['tenant', 'list'], { env: { STRONGROOM_MASTER_KEY: 'not-a-key' } })
    assert.equal(bad.code, 6)
    assert.match(bad.stderr, /MASTER_KEY_INVALID/)
    await stillThere()
  })

  it('a master key file readable by others is refused', async () => {
    const file = join(data, 'master.key')
    chmodSync(file, 0o644)
    try {
      const r = await cli(data, ['tenant', 'list'])
      assert.equal(r.code, 6)
      assert.match(r.stderr, /MASTER_KEY_INVALID/)
      assert.doesNotMatch(r.stderr, new RegExp(readFileSync(file, 'utf8').trim()))
    } finally {
      chmodSync(file, 0o600)
    }
  })

  it('a corrupted vault file → VAULT_CORRUPT, exit 7', async () => {
    const file = join(data, 'vault.db')
    const original = readFileSync(file)
    const damaged = Buffer.from(original)
    for (let i = 0; i < 200; i++) damaged[i] = (damaged[i] ?? 0) ^ 0xff
    writeFileSync(file, damaged)
    try {
      const r = await cli(data, ['env', 'create', 'x', '--tenant', 'acme'])
      assert.equal(r.code, 7)
      assert.match(r.stderr, /VAULT_CORRUPT/)
    } finally {
      writeFileSync(file, original)
    }
    await stillThere()
  })

  it('a corrupted keyring → KEYRING_CORRUPT', async () => {
    const file = join(data, 'keyring.json')
    const original = readFileSync(file)
    writeFileSync(file, '{"format":1,')
    try {
      const r = await cli(data, ['tenant', 'list'])
      assert.equal(r.code, 7)
      assert.match(r.stderr, /KEYRING_CORRUPT/)
    } finally {
      writeFileSync(file, original)
    }
  })

  it('a truncated or corrupted environment file → DATABASE_CORRUPT, other environments unaffected', async () => {
    const spare = await cliJson<EnvJson>(data, ['env', 'show', 'spare', '--tenant', 'acme'])
    const file = join(data, 'environments', `${spare.id}.db`)
    const original = readFileSync(file)
    truncateSync(file, 100)
    try {
      const r = await cli(data, ['record', 'list', 'account', '--tenant', 'acme', '--env', 'spare'])
      assert.equal(r.code, 7)
      assert.match(r.stderr, /DATABASE_CORRUPT/)
      const garbage = Buffer.from(original)
      garbage.fill(0x41, 0, 4096)
      writeFileSync(file, garbage)
      const r2 = await cli(data, [
        'record',
        'list',
        'account',
        '--tenant',
        'acme',
        '--env',
        'spare',
      ])
      assert.equal(r2.code, 7)
      assert.match(r2.stderr, /DATABASE_CORRUPT/)
    } finally {
      writeFileSync(file, original)
    }
    await stillThere()
  })

  it('a DEK that does not open its database → DATABASE_CORRUPT', async () => {
    // Put prod's file where spare's belongs: spare's DEK unwraps fine but doesn't open it.
    const prod = await cliJson<EnvJson>(data, ['env', 'show', 'prod', '--tenant', 'acme'])
    const spare = await cliJson<EnvJson>(data, ['env', 'show', 'spare', '--tenant', 'acme'])
    const a = join(data, 'environments', `${prod.id}.db`)
    const b = join(data, 'environments', `${spare.id}.db`)
    const bytesA = readFileSync(a)
    const bytesB = readFileSync(b)
    writeFileSync(b, bytesA)
    try {
      const r = await cli(data, ['record', 'list', 'account', '--tenant', 'acme', '--env', 'spare'])
      assert.equal(r.code, 7)
      assert.match(r.stderr, /DATABASE_CORRUPT/)
    } finally {
      writeFileSync(b, bytesB)
    }
  })

  it('unknown tenant, environment, table, record → not found, exit 3', async () => {
    for (const argv of [
      ['env', 'list', '--tenant', 'nobody'],
      ['env', 'show', 'nope', '--tenant', 'acme'],
      ['record', 'list', 'nosuchtable', '--tenant', 'acme', '--env', 'prod'],
      [
        'record',
        'get',
        'account',
        '00000000-0000-0000-0000-000000000001',
        '--tenant',
        'acme',
        '--env',
        'prod',
      ],
    ]) {
      const r = await cli(data, argv)
      assert.equal(r.code, 3, argv.join(' '))
      assert.match(r.stderr, /_NOT_FOUND\]/)
    }
  })

  it('names with path characters → NAME_INVALID, exit 2', async () => {
    for (const argv of [
      ['tenant', 'create', '../evil'],
      ['tenant', 'create', 'a/b'],
      ['env', 'create', '..', '--tenant', 'acme'],
      ['env', 'create', 'x\\y', '--tenant', 'acme'],
      ['table', 'create', '../../etc/passwd', '--tenant', 'acme', '--env', 'prod'],
      [
        'column',
        'add',
        'account',
        'a;drop',
        '--type',
        'string',
        '--tenant',
        'acme',
        '--env',
        'prod',
      ],
    ]) {
      const r = await cli(data, argv)
      assert.equal(r.code, 2, argv.join(' '))
      assert.match(r.stderr, /NAME_INVALID/)
    }
  })

  it('a record that violates its column types → RECORD_INVALID, nothing written', async () => {
    const before = await cliJson<{ records: unknown[] }>(data, [
      'record',
      'list',
      'account',
      '--tenant',
      'acme',
      '--env',
      'prod',
    ])
    for (const json of [
      '{"name":"' + 'x'.repeat(161) + '"}',
      '{"name":"ok","numberofemployees":1.5}',
      '{"name":"ok","numberofemployees":"7"}',
      '{"name":"ok","revenue":1e300}',
      '{"name":"ok","donotemail":"yes"}',
      '{"name":"ok","parentaccountid":"00000000-0000-0000-0000-000000000009"}',
    ]) {
      const r = await cli(data, [
        'record',
        'create',
        'account',
        '--tenant',
        'acme',
        '--env',
        'prod',
        '--data',
        json,
      ])
      assert.equal(r.code, 2, json.slice(0, 60))
      assert.match(r.stderr, /RECORD_INVALID/)
    }
    const after = await cliJson<{ records: unknown[] }>(data, [
      'record',
      'list',
      'account',
      '--tenant',
      'acme',
      '--env',
      'prod',
    ])
    assert.equal(after.records.length, before.records.length)
  })

  it('survives being killed in the middle of writes: committed rows intact, no partial rows', async () => {
    const child = spawn(process.execPath, [
      resolve('build/tests/helpers/crash-writer.js'),
      data,
      'records',
      'acme',
      'prod',
    ])
    const committed: string[] = []
    let buffer = ''
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      committed.push(...lines)
    })
    while (committed.length < 200) {
      await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])
      if (child.exitCode !== null) assert.fail(`writer exited early: ${String(child.exitCode)}`)
    }
    child.kill('SIGKILL')
    await once(child, 'exit')

    const after = await cliJson<{ records: Record<string, unknown>[] }>(data, [
      'record',
      'list',
      'account',
      '--tenant',
      'acme',
      '--env',
      'prod',
      '--filter',
      "startswith(name,'row ')",
      '--top',
      '5000',
    ])
    const ids = new Set(after.records.map((r) => r['accountid']))
    for (const id of committed) assert.ok(ids.has(id), `committed row ${id} lost`)
    // At most the one row being written when killed may exist beyond what was reported.
    assert.ok(after.records.length <= committed.length + 1)
    for (const r of after.records) {
      assert.match(String(r['name']), /^row \d+$/)
    }
    await stillThere()
    // The database passes SQLite's own integrity check.
    const app = await openApp(data)
    try {
      const env = await findEnvironment(app.control, 'acme', 'prod')
      const check = await app.databases.use(env.id, (db) =>
        sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db),
      )
      assert.deepEqual(check.rows, [{ integrity_check: 'ok' }])
    } finally {
      await app.close()
    }
    // And the real bin reads it too.
    const r = spawnCli([
      'record',
      'list',
      'account',
      '--tenant',
      'acme',
      '--env',
      'prod',
      '--top',
      '1',
      '--data-dir',
      data,
      '--json',
    ])
    assert.equal(r.code, 0, r.stderr)
  })
})
