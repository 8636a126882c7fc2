import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cli, cliJson, spawnCli, tempDir } from '../helpers/cli.ts'

interface EnvJson {
  id: string
  name: string
  tenant: string
  region: string
  state: string
  key: { name: string; provider: string; keyId: string; version: number; managedBy: string }
}

describe('CLI', () => {
  const dir = tempDir('sr-cli-')
  const data = join(dir.path, 'data')
  before(async () => {
    await cliJson(data, ['init'])
  })
  after(() => {
    dir.remove()
  })

  it('init creates a 0700 data directory and a 0600 master key', () => {
    assert.equal(statSync(data).mode & 0o777, 0o700)
    assert.equal(statSync(join(data, 'master.key')).mode & 0o777, 0o600)
    assert.equal(statSync(join(data, 'environments')).mode & 0o777, 0o700)
  })

  it('tenant create / list', async () => {
    const t = await cliJson<{ id: string; name: string }>(data, ['tenant', 'create', 'contoso'])
    assert.equal(t.name, 'contoso')
    const list = await cliJson<{ name: string }[]>(data, ['tenant', 'list'])
    assert.deepEqual(
      list.map((x) => x.name),
      ['contoso'],
    )
    const dup = await cli(data, ['tenant', 'create', 'contoso'])
    assert.equal(dup.code, 4)
    assert.match(dup.stderr, /ALREADY_EXISTS/)
  })

  it('env create / show --json has id, tenant, region, state and key id and version', async () => {
    const created = await cliJson<EnvJson>(data, [
      'env',
      'create',
      'prod',
      '--tenant',
      'contoso',
      '--type',
      'production',
    ])
    const shown = await cliJson<EnvJson & { url: string; webApiUrl: string }>(data, [
      'env',
      'show',
      'prod',
      '--tenant',
      'contoso',
    ])
    assert.deepEqual(
      { ...shown, url: undefined, webApiUrl: undefined },
      { ...created, url: undefined, webApiUrl: undefined },
    )
    assert.equal(shown.url, 'https://localhost:8443/contoso/prod/')
    assert.equal(shown.webApiUrl, 'https://localhost:8443/contoso/prod/api/data/v9.2/')
    assert.match(shown.id, /^[0-9a-f-]{36}$/)
    assert.equal(shown.tenant, 'contoso')
    assert.equal(shown.region, 'local')
    assert.equal(shown.state, 'active')
    assert.equal(shown.key.version, 1)
    assert.equal(shown.key.managedBy, 'service')
    assert.match(shown.key.keyId, /^[0-9a-f-]{36}$/)
  })

  it('rejects a bad type, an unknown region and a duplicate name', async () => {
    const bad = await cli(data, ['env', 'create', 'x', '--tenant', 'contoso', '--type', 'trial'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /VALIDATION/)
    const region = await cli(data, [
      'env',
      'create',
      'x',
      '--tenant',
      'contoso',
      '--region',
      'mars',
    ])
    assert.equal(region.code, 3)
    assert.match(region.stderr, /REGION_NOT_FOUND/)
    const dup = await cli(data, ['env', 'create', 'prod', '--tenant', 'contoso'])
    assert.equal(dup.code, 4)
  })

  it('env list, with and without --tenant', async () => {
    await cliJson(data, ['tenant', 'create', 'fabrikam'])
    await cliJson(data, ['env', 'create', 'dev', '--tenant', 'fabrikam', '--type', 'developer'])
    const all = await cliJson<EnvJson[]>(data, ['env', 'list'])
    assert.deepEqual(
      all.map((e) => `${e.tenant}/${e.name}`),
      ['contoso/prod', 'fabrikam/dev'],
    )
    const one = await cliJson<EnvJson[]>(data, ['env', 'list', '--tenant', 'fabrikam'])
    assert.deepEqual(
      one.map((e) => e.name),
      ['dev'],
    )
  })

  it('tables, columns and records end to end', async () => {
    const base = ['--tenant', 'contoso', '--env', 'prod']
    await cliJson(data, ['table', 'create', 'project', ...base, '--ownership', 'user'])
    await cliJson(data, [
      'column',
      'add',
      'project',
      'budget',
      '--type',
      'currency',
      '--precision',
      '2',
      ...base,
    ])
    await cliJson(data, [
      'column',
      'add',
      'project',
      'stage',
      '--type',
      'choice',
      '--choices',
      '1=Plan,2=Build,3=Run',
      ...base,
    ])
    await cliJson(data, [
      'column',
      'add',
      'project',
      'accountid',
      '--type',
      'lookup',
      '--targets',
      'account',
      ...base,
    ])
    const shown = await cliJson<{ entitySetName: string; columns: { name: string }[] }>(data, [
      'table',
      'show',
      'project',
      ...base,
    ])
    assert.equal(shown.entitySetName, 'projects')
    assert.ok(shown.columns.some((c) => c.name === 'budget'))

    const acct = await cliJson<{ id: string }>(data, [
      'record',
      'create',
      'account',
      ...base,
      '--data',
      '{"name":"Fabrikam"}',
    ])
    const { id } = await cliJson<{ id: string }>(
      data,
      ['record', 'create', 'project', ...base, '--data', '-'],
      { stdin: JSON.stringify({ name: 'Apollo', budget: 1234.5, stage: 2, accountid: acct.id }) },
    )
    const rec = await cliJson<Record<string, unknown>>(data, [
      'record',
      'get',
      'project',
      id,
      ...base,
    ])
    assert.equal(rec['budget'], 1234.5)
    assert.equal(rec['stage'], 2)
    assert.equal(rec['accountid'], acct.id)
    const version = String(rec['versionnumber'])

    const stale = await cli(data, [
      'record',
      'update',
      'project',
      id,
      ...base,
      '--data',
      '{"stage":3}',
      '--if-version',
      '1',
    ])
    assert.equal(stale.code, 4)
    assert.match(stale.stderr, /CONCURRENCY_MISMATCH/)
    const upd = await cliJson<{ versionnumber: number }>(data, [
      'record',
      'update',
      'project',
      id,
      ...base,
      '--data',
      '{"stage":3}',
      '--if-version',
      version,
    ])
    assert.ok(upd.versionnumber > Number(version))

    const list = await cliJson<{ records: Record<string, unknown>[] }>(data, [
      'record',
      'list',
      'project',
      ...base,
      '--filter',
      'stage eq 3 and budget gt 1000',
      '--select',
      'name,stage',
    ])
    assert.deepEqual(
      list.records.map((r) => r['name']),
      ['Apollo'],
    )
    const none = await cliJson<{ records: unknown[] }>(data, [
      'record',
      'list',
      'project',
      ...base,
      '--filter',
      'stage eq 1',
    ])
    assert.equal(none.records.length, 0)
    const badFilter = await cli(data, [
      'record',
      'list',
      'project',
      ...base,
      '--filter',
      "name eq 'x",
    ])
    assert.equal(badFilter.code, 2)
    assert.match(badFilter.stderr, /QUERY_INVALID/)

    await cliJson(data, ['record', 'delete', 'project', id, ...base])
    const gone = await cli(data, ['record', 'get', 'project', id, ...base])
    assert.equal(gone.code, 3)
    assert.match(gone.stderr, /RECORD_NOT_FOUND/)
  })

  it('environment lifecycle: disable, enable, delete, recover, purge', async () => {
    const base = ['--tenant', 'fabrikam']
    const state = async () => (await cliJson<EnvJson>(data, ['env', 'show', 'dev', ...base])).state
    await cliJson(data, ['env', 'disable', 'dev', ...base])
    assert.equal(await state(), 'disabled')
    const blocked = await cli(data, ['record', 'list', 'account', ...base, '--env', 'dev'])
    assert.equal(blocked.code, 4)
    assert.match(blocked.stderr, /ENVIRONMENT_UNAVAILABLE/)
    await cliJson(data, ['env', 'enable', 'dev', ...base])
    assert.equal(await state(), 'active')
    const unlock = await cli(data, ['env', 'unlock', 'dev', ...base])
    assert.equal(unlock.code, 4)
    assert.match(unlock.stderr, /INVALID_STATE/)

    await cliJson(data, ['env', 'delete', 'dev', ...base])
    assert.equal(await state(), 'deleted')
    const early = await cli(data, ['env', 'purge', 'dev', ...base])
    assert.equal(early.code, 4)
    assert.match(early.stderr, /recovered until/)
    await cliJson(data, ['env', 'recover', 'dev', ...base])
    assert.equal(await state(), 'active')
    const shown = await cliJson<EnvJson>(data, ['env', 'show', 'dev', ...base])
    await cliJson(data, ['env', 'delete', 'dev', ...base])
    await cliJson(data, ['env', 'purge', 'dev', ...base, '--force'])
    const gone = await cli(data, ['env', 'show', 'dev', ...base])
    assert.equal(gone.code, 3)
    assert.throws(() => statSync(join(data, 'environments', `${shown.id}.db`)), { code: 'ENOENT' })
    // The name is free again after a purge.
    const again = await cliJson<EnvJson>(data, ['env', 'create', 'dev', ...base])
    assert.notEqual(again.id, shown.id)

    const history = await cliJson<{ action: string }[]>(data, ['tenant', 'history', 'fabrikam'])
    assert.deepEqual(history.map((h) => h.action).slice(0, 7), [
      'environment.created',
      'environment.purge',
      'environment.delete',
      'environment.recover',
      'environment.delete',
      'environment.enable',
      'environment.disable',
    ])
  })

  it('usage errors exit 2 with a clear message', async () => {
    for (const argv of [
      ['frobnicate'],
      ['tenant', 'create'],
      ['env', 'create', 'x'],
      ['env', 'create', 'x', '--tenant', 'contoso', '--bogus'],
      ['key', 'retire', 'service', '--tenant', 'contoso', '--version', 'one'],
      ['record', 'create', 'account', '--tenant', 'contoso', '--env', 'prod', '--data', '[1,2]'],
      [
        'record',
        'create',
        'account',
        '--tenant',
        'contoso',
        '--env',
        'prod',
        '--data',
        '{not json',
      ],
    ]) {
      const r = await cli(data, argv)
      assert.equal(r.code, 2, argv.join(' '))
      assert.match(r.stderr, /^error \[(USAGE|VALIDATION)\]/)
    }
  })

  it('never takes a secret on argv: there is no master key option', async () => {
    const r = await cli(data, ['tenant', 'list', '--master-key', 'ab'.repeat(32)])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /USAGE/)
  })

  it('--json errors are machine-readable on stderr', async () => {
    const r = await cli(data, ['env', 'show', 'nope', '--tenant', 'contoso', '--json'])
    assert.equal(r.code, 3)
    assert.equal(r.stdout, '')
    assert.deepEqual(JSON.parse(r.stderr), {
      error: {
        code: 'ENVIRONMENT_NOT_FOUND',
        message: "Tenant 'contoso' has no environment 'nope'.",
      },
    })
  })

  it('table key add, list and delete', async () => {
    const base = ['--tenant', 'contoso', '--env', 'prod']
    await cliJson(data, ['table', 'create', 'widget', ...base, '--ownership', 'organization'])
    await cliJson(data, ['column', 'add', 'widget', 'code', '--type', 'string', ...base])
    await cliJson(data, ['column', 'add', 'widget', 'batchno', '--type', 'wholenumber', ...base])
    for (const name of ['w1', 'w2']) {
      await cliJson(data, [
        'record',
        'create',
        'widget',
        ...base,
        '--data',
        JSON.stringify({ name, code: 'SAME', batchno: name === 'w1' ? 1 : 2 }),
      ])
    }
    // Existing duplicates: refused with a clear message, nothing created (exit 4).
    const dup = await cli(data, [
      'table',
      'key',
      'add',
      'widget',
      '--name',
      'codekey',
      '--columns',
      'code',
      ...base,
    ])
    assert.equal(dup.code, 4)
    assert.match(dup.stderr, /RECORD_DUPLICATE/)
    assert.match(dup.stderr, /already share values of code/)
    const key = await cliJson<{ name: string; columns: string[] }>(data, [
      'table',
      'key',
      'add',
      'widget',
      '--name',
      'codekey',
      '--columns',
      'code, batchno',
      '--display-name',
      'Code and batch',
      ...base,
    ])
    assert.deepEqual(key.columns, ['code', 'batchno'])
    const listed = await cliJson<{ name: string; displayName: string; columns: string[] }[]>(data, [
      'table',
      'key',
      'list',
      'widget',
      ...base,
    ])
    assert.deepEqual(listed, [
      { name: 'codekey', displayName: 'Code and batch', columns: ['code', 'batchno'] },
    ])
    const human = await cli(data, ['table', 'show', 'widget', ...base])
    assert.match(human.stdout, /Alternate keys:/)
    const again = await cli(data, [
      'record',
      'create',
      'widget',
      ...base,
      '--data',
      JSON.stringify({ name: 'w3', code: 'SAME', batchno: 1 }),
    ])
    assert.equal(again.code, 4)
    assert.match(again.stderr, /RECORD_DUPLICATE/)
    const missing = await cli(data, [
      'table',
      'key',
      'delete',
      'widget',
      '--name',
      'nosuch',
      ...base,
    ])
    assert.equal(missing.code, 3)
    assert.match(missing.stderr, /ALTERNATE_KEY_NOT_FOUND/)
    await cliJson(data, ['table', 'key', 'delete', 'widget', '--name', 'codekey', ...base])
    assert.deepEqual(await cliJson(data, ['table', 'key', 'list', 'widget', ...base]), [])
  })

  it('help lists every command', async () => {
    const r = await cli(data, ['help'])
    assert.equal(r.code, 0)
    for (const c of [
      'init',
      'tenant create',
      'env show',
      'key rotate',
      'record list',
      'column add',
      'table key add',
      'table key delete',
    ]) {
      assert.ok(r.stdout.includes(c), c)
    }
  })

  it('the real bin: exit codes, STRONGROOM_DATA_DIR and stdout', () => {
    const ok = spawnCli(['env', 'list', '--json'], { env: { STRONGROOM_DATA_DIR: data } })
    assert.equal(ok.code, 0, ok.stderr)
    assert.ok(Array.isArray(JSON.parse(ok.stdout)))
    const missing = spawnCli(['env', 'show', 'nope', '--tenant', 'contoso'], {
      env: { STRONGROOM_DATA_DIR: data },
    })
    assert.equal(missing.code, 3)
    assert.equal(missing.stdout, '')
  })
})
