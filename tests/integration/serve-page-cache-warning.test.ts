import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cli, tempDir } from '../helpers/cli.ts'

// `serve` says at start when the page caches could take more than half of the machine's memory
// (storage.pageCacheKiB × handleCacheSize × workers), and is quiet with the defaults.
describe('serve: page cache memory bound', () => {
  const dir = tempDir('sr-pagecache-')
  const data = join(dir.path, 'data')
  before(async () => {
    assert.equal((await cli(data, ['init'])).code, 0)
  })
  after(() => {
    dir.remove()
  })

  const setStorage = (storage: Record<string, number>): void => {
    const file = join(data, 'strongroom.json')
    const settings = JSON.parse(readFileSync(file, 'utf8')) as {
      storage: Record<string, unknown>
    }
    Object.assign(settings.storage, storage)
    writeFileSync(file, JSON.stringify(settings, null, 2))
  }

  it('is quiet with the default settings', async () => {
    const r = await cli(data, ['serve', '--port', '0'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /page-cache-bound-high/)
  })

  it('warns, with the figures and no secret, when the bound is above half of memory', async () => {
    setStorage({ handleCacheSize: 100_000, pageCacheKiB: 1_048_576 })
    const r = await cli(data, ['serve', '--port', '0'])
    assert.equal(r.code, 0, r.stderr)
    const line = r.stderr.split('\n').find((l) => l.includes('storage.page-cache-bound-high'))
    assert.ok(line !== undefined, r.stderr)
    const entry = JSON.parse(line) as Record<string, unknown>
    assert.equal(entry['level'], 'warn')
    assert.equal(entry['handleCacheSize'], 100_000)
    assert.equal(entry['pageCacheKiB'], 1_048_576)
    assert.equal(entry['boundMiB'], 100_000 * 1024)
  })
})
