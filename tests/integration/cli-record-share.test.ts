import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ERRORS } from '../../src/shared/errors.ts'
import { cli, cliJson, tempDir } from '../helpers/cli.ts'

/** `strongroom record share|unshare|access` (docs/authz.md §12). */
describe('CLI: record share, unshare, access', () => {
  const dir = tempDir('sr-cli-share-')
  const env = ['--tenant', 'acme', '--env', 'prod']
  let account = ''
  let user = ''
  before(async () => {
    await cli(dir.path, ['init'])
    await cli(dir.path, ['tenant', 'create', 'acme'])
    const created = await cli(dir.path, ['env', 'create', 'prod', '--tenant', 'acme'])
    assert.equal(created.code, 0, created.stderr)
    const bus = await cliJson<{ records: { businessunitid: string }[] }>(dir.path, [
      'record',
      'list',
      'businessunit',
      ...env,
    ])
    const bu = bus.records[0]?.businessunitid ?? ''
    user = (
      await cliJson<{ id: string }>(dir.path, [
        'record',
        'create',
        'systemuser',
        '--data',
        JSON.stringify({ fullname: 'Ann', businessunitid: bu }),
        ...env,
      ])
    ).id
    account = (
      await cliJson<{ id: string }>(dir.path, [
        'record',
        'create',
        'account',
        '--data',
        '{"name":"Shared Co"}',
        ...env,
      ])
    ).id
  })
  after(() => {
    dir.remove()
  })

  it('shares, shows the share and the user’s rights, and unshares', async () => {
    const shared = await cliJson<{ access: string[]; principalType: string }>(dir.path, [
      'record',
      'share',
      'account',
      account,
      '--principal',
      user,
      '--access',
      'read,Write',
      ...env,
    ])
    assert.deepEqual(shared.access, ['read', 'write'])
    assert.equal(shared.principalType, 'systemuser')
    const access = await cliJson<{
      shares: { principal: string; access: string[] }[]
      access: string[]
    }>(dir.path, ['record', 'access', 'account', account, '--user', user, ...env])
    assert.deepEqual(access.shares, [
      { principal: user, principalType: 'systemuser', access: ['read', 'write'] },
    ])
    // A share gives nothing without the privilege (dataverse-spec §3): no role, no rights.
    assert.deepEqual(access.access, [])
    const assigned = await cli(dir.path, ['role', 'assign', 'Basic User', '--user', user, ...env])
    assert.equal(assigned.code, 0, assigned.stderr)
    const withRole = await cliJson<{ access: string[] }>(dir.path, [
      'record',
      'access',
      'account',
      account,
      '--user',
      user,
      ...env,
    ])
    // Basic User (User depth) on SYSTEM's record: exactly the shared rights.
    assert.deepEqual(withRole.access, ['read', 'write'])
    const human = await cli(dir.path, ['record', 'access', 'account', account, ...env])
    assert.match(human.stdout, /read,write/)
    const unshared = await cli(dir.path, [
      'record',
      'unshare',
      'account',
      account,
      '--principal',
      user,
      ...env,
    ])
    assert.equal(unshared.code, 0, unshared.stderr)
    const after = await cliJson<{ shares: unknown[] }>(dir.path, [
      'record',
      'access',
      'account',
      account,
      ...env,
    ])
    assert.deepEqual(after.shares, [])
  })

  it('refuses unknown rights and principals', async () => {
    const bad = await cli(dir.path, [
      'record',
      'share',
      'account',
      account,
      '--principal',
      user,
      '--access',
      'read,fly',
      ...env,
    ])
    assert.equal(bad.code, ERRORS.USAGE.exit)
    assert.match(bad.stderr, /Unknown access right 'fly'/)
    const nobody = await cli(dir.path, [
      'record',
      'share',
      'account',
      account,
      '--principal',
      '00000000-0000-4000-8000-000000000001',
      '--access',
      'read',
      ...env,
    ])
    assert.equal(nobody.code, ERRORS.VALIDATION.exit)
  })
})
