import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { describe, it } from 'node:test'
import { Lru } from './lru.ts'
import { Mutex } from './mutex.ts'
import { Secret } from './secret.ts'
import { parseLogicalName, parseSlug } from './names.ts'
import { parseGuid } from './ids.ts'

describe('Secret', () => {
  it('never prints its bytes', () => {
    const s = new Secret(new Uint8Array([1, 2, 3]))
    assert.equal(JSON.stringify({ s }), '{"s":"[redacted]"}')
    assert.equal(String(s), '[redacted]')
    assert.equal(inspect(s), 'Secret([redacted])')
  })
  it('dispose zeroes the bytes', () => {
    const bytes = new Uint8Array([1, 2, 3])
    new Secret(bytes).dispose()
    assert.deepEqual([...bytes], [0, 0, 0])
  })
})

describe('Lru', () => {
  it('evicts the least recently used entry', () => {
    const evicted: string[] = []
    const lru = new Lru<string, number>(2, (k) => evicted.push(k))
    lru.set('a', 1)
    lru.set('b', 2)
    lru.get('a')
    lru.set('c', 3)
    assert.deepEqual(evicted, ['b'])
    assert.deepEqual([...lru.keys()], ['a', 'c'])
  })
  it('rejects a capacity below 1', () => {
    assert.throws(() => new Lru(0, () => undefined), RangeError)
  })
  it('keeps the order exact when the newest key is hit again, deleted or re-set', () => {
    const evicted: string[] = []
    const lru = new Lru<string, number>(2, (k) => evicted.push(k))
    lru.set('a', 1)
    lru.set('b', 2)
    // Hits on the newest key ('b') change nothing; a hit on 'a' makes it the newest.
    assert.equal(lru.get('b'), 2)
    assert.equal(lru.get('b'), 2)
    assert.equal(lru.get('a'), 1)
    assert.equal(lru.get('a'), 1)
    lru.set('c', 3)
    assert.deepEqual(evicted, ['b'])
    assert.deepEqual([...lru.keys()], ['a', 'c'])
    // The newest deleted: the next hit on the remaining key must reorder again.
    assert.equal(lru.delete('c'), 3)
    assert.equal(lru.get('c'), undefined)
    lru.set('d', 4)
    assert.equal(lru.get('a'), 1)
    lru.set('e', 5)
    assert.deepEqual(evicted, ['b', 'd'])
    assert.deepEqual([...lru.keys()], ['a', 'e'])
  })
})

describe('Mutex', () => {
  it('runs holders one at a time, in order', async () => {
    const m = new Mutex()
    const order: string[] = []
    const task = async (name: string, ms: number) => {
      const release = await m.lock()
      order.push(`${name}+`)
      await new Promise((r) => setTimeout(r, ms))
      order.push(`${name}-`)
      release()
    }
    await Promise.all([task('a', 20), task('b', 1), task('c', 1)])
    assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-'])
  })
  it('a second release is harmless', async () => {
    const m = new Mutex()
    const release = await m.lock()
    release()
    release()
    const again = await m.lock()
    assert.equal(m.held, true)
    again()
  })
})

describe('names and ids', () => {
  it('slugs refuse path and URL characters', () => {
    for (const bad of [
      '',
      '-a',
      'a-',
      'A',
      'a/b',
      '..',
      'a b',
      'a.b',
      'a\\b',
      'a%2f',
      'x'.repeat(64),
    ]) {
      assert.throws(() => parseSlug(bad, 'name'), { code: 'NAME_INVALID' }, bad)
    }
    assert.equal(parseSlug('contoso-prod-1', 'name'), 'contoso-prod-1')
  })
  it('logical names are SQL-safe identifiers', () => {
    for (const bad of ['', '1a', '_a', 'a-b', 'a;b', 'a"b', 'sqlite_master', 'x'.repeat(51)]) {
      assert.throws(() => parseLogicalName(bad, 'name'), { code: 'NAME_INVALID' }, bad)
    }
    assert.equal(parseLogicalName('new_project2', 'name'), 'new_project2')
  })
  it('GUIDs are normalised to lower case without braces', () => {
    assert.equal(
      parseGuid('{ABCDEF00-0000-0000-0000-000000000001}'),
      'abcdef00-0000-0000-0000-000000000001',
    )
    assert.throws(() => parseGuid('not-a-guid'), { code: 'VALIDATION' })
  })
})
