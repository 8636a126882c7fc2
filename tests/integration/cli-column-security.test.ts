import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cli, cliJson, tempDir } from '../helpers/cli.ts'

interface Profile {
  id: string
  name: string
  permissions: { column: string; read: boolean; create: boolean; update: boolean }[]
  users: string[]
  teams: string[]
}

describe('CLI: column security (column secure, fsp)', () => {
  const dir = tempDir('sr-cli-cs-')
  const data = join(dir.path, 'data')
  const base = ['--tenant', 'contoso', '--env', 'prod']
  before(async () => {
    await cliJson(data, ['init'])
    await cliJson(data, ['tenant', 'create', 'contoso'])
    await cliJson(data, ['env', 'create', 'prod', '--tenant', 'contoso'])
  })
  after(() => {
    dir.remove()
  })

  it('secures a column, creates a profile, grants and adds members', async () => {
    const secured = await cliJson<{ changed: boolean; secured: boolean }>(data, [
      'column',
      'secure',
      'account',
      'accountnumber',
      ...base,
    ])
    assert.deepEqual([secured.changed, secured.secured], [true, true])
    const human = await cli(data, ['column', 'secure', 'account', 'accountnumber', ...base])
    assert.match(human.stdout, /already was secured/)
    const refused = await cli(data, ['column', 'secure', 'account', 'name', ...base])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /can't be secured/)

    const profile = await cliJson<{ id: string }>(data, ['fsp', 'create', 'Finance', ...base])
    const notSecured = await cli(data, [
      'fsp',
      'grant',
      'Finance',
      'account',
      'telephone1',
      ...base,
    ])
    assert.notEqual(notSecured.code, 0)
    assert.match(notSecured.stderr, /not secured/)
    await cliJson(data, ['fsp', 'grant', 'Finance', 'account', 'accountnumber', '--read', ...base])
    // Granting again replaces the permissions (one row per profile and column).
    await cliJson(data, [
      'fsp',
      'grant',
      profile.id,
      'account',
      'accountnumber',
      '--read',
      '--update',
      ...base,
    ])
    const user = await cliJson<{ id: string }>(data, [
      'record',
      'create',
      'systemuser',
      ...base,
      '--data',
      JSON.stringify({ fullname: 'Fin' }),
    ])
    await cliJson(data, ['fsp', 'add-member', 'Finance', '--user', user.id, ...base])
    const both = await cli(data, ['fsp', 'add-member', 'Finance', ...base])
    assert.equal(both.code, 2)
    const list = await cliJson<Profile[]>(data, ['fsp', 'list', ...base])
    assert.deepEqual(list, [
      {
        id: profile.id,
        name: 'Finance',
        permissions: [{ column: 'account.accountnumber', read: true, create: false, update: true }],
        users: [user.id],
        teams: [],
      },
    ])
    const missing = await cli(data, ['fsp', 'grant', 'Nobody', 'account', 'accountnumber', ...base])
    assert.notEqual(missing.code, 0)
    const off = await cliJson<{ changed: boolean }>(data, [
      'column',
      'unsecure',
      'account',
      'accountnumber',
      ...base,
    ])
    assert.equal(off.changed, true)
  })

  it('help lists the commands', async () => {
    const r = await cli(data, ['help'])
    for (const c of ['column secure', 'fsp create', 'fsp list', 'fsp grant', 'fsp add-member']) {
      assert.ok(r.stdout.includes(c), c)
    }
  })
})
