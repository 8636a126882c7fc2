import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ERRORS } from '../../src/shared/errors.ts'
import { cli, cliJson, tempDir } from '../helpers/cli.ts'

/** `strongroom bu create|list|move|delete` (docs/authz.md §12). */
describe('CLI: business units', () => {
  const dir = tempDir('sr-cli-bu-')
  const env = ['--tenant', 'acme', '--env', 'prod']
  before(async () => {
    await cli(dir.path, ['init'])
    await cli(dir.path, ['tenant', 'create', 'acme'])
    const created = await cli(dir.path, ['env', 'create', 'prod', '--tenant', 'acme'])
    assert.equal(created.code, 0, created.stderr)
  })
  after(() => {
    dir.remove()
  })

  it('creates under the root or a parent, lists, refuses a cycle, moves, deletes', async () => {
    const east = await cliJson<{ id: string; defaultTeamId: string }>(dir.path, [
      'bu',
      'create',
      'East',
      ...env,
    ])
    const human = await cli(dir.path, ['bu', 'create', 'East 1', '--parent', east.id, ...env])
    assert.equal(human.code, 0, human.stderr)
    const east1 = human.stdout.trim()
    const listed = await cliJson<{
      businessUnits: { businessunitid: string; name: string; parentbusinessunitid: string | null }[]
    }>(dir.path, ['bu', 'list', ...env])
    const byName = new Map(listed.businessUnits.map((b) => [b.name, b]))
    const root = listed.businessUnits.find((b) => b.parentbusinessunitid === null)
    assert.equal(byName.get('East')?.parentbusinessunitid, root?.businessunitid)
    assert.equal(byName.get('East 1')?.parentbusinessunitid, east.id)
    const cycle = await cli(dir.path, ['bu', 'move', east.id, '--parent', east1, ...env])
    assert.equal(cycle.code, ERRORS.RECORD_INVALID.exit)
    assert.match(cycle.stderr, /can't be moved under itself or one of its descendants/)
    const busy = await cli(dir.path, ['bu', 'delete', east.id, ...env])
    assert.equal(busy.code, ERRORS.IN_USE.exit)
    const moved = await cli(dir.path, [
      'bu',
      'move',
      east1,
      '--parent',
      root?.businessunitid ?? '',
      ...env,
    ])
    assert.equal(moved.code, 0, moved.stderr)
    assert.equal((await cli(dir.path, ['bu', 'delete', east.id, ...env])).code, 0)
    const after = await cliJson<{ businessUnits: { name: string }[] }>(dir.path, [
      'bu',
      'list',
      ...env,
    ])
    assert.deepEqual(after.businessUnits.map((b) => b.name).sort(), ['East 1', root?.name].sort())
  })
})
