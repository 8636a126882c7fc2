import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pageCacheBound } from './page-cache-bound.ts'

const GiB = 1024 ** 3

test('the bound multiplies processes, open handles and the page cache per handle', () => {
  const b = pageCacheBound({ handleCacheSize: 256, pageCacheKiB: 32_768 }, 1, 24 * GiB)
  assert.equal(b.boundBytes, 8 * GiB)
  assert.equal(b.high, false)
})

test('a bound over half of the machine memory is high', () => {
  assert.equal(
    pageCacheBound({ handleCacheSize: 256, pageCacheKiB: 32_768 }, 2, 24 * GiB).high,
    true,
  )
  assert.equal(
    pageCacheBound({ handleCacheSize: 256, pageCacheKiB: 32_768 }, 1, 16 * GiB).high,
    false,
  )
  assert.equal(
    pageCacheBound({ handleCacheSize: 256, pageCacheKiB: 32_768 }, 1, 15 * GiB).high,
    true,
  )
})
