import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eachConcurrently } from './each-concurrently.ts'
import { Semaphore } from './semaphore.ts'

const tick = () => new Promise((r) => setImmediate(r))

describe('Semaphore', () => {
  it('admits at most `permits` holders, the rest in arrival order', async () => {
    const s = new Semaphore(2)
    const order: number[] = []
    const a = await s.acquire()
    const b = await s.acquire()
    const c = s.acquire().then((r) => (order.push(3), r))
    const d = s.acquire().then((r) => (order.push(4), r))
    await tick()
    assert.deepEqual(order, [])
    a()
    a() // releasing twice gives back one permit only
    await tick()
    assert.deepEqual(order, [3])
    b()
    await tick()
    assert.deepEqual(order, [3, 4])
    ;(await c)()
    ;(await d)()
  })

  it('acquireAll waits for every holder and is not overtaken by later acquires', async () => {
    const s = new Semaphore(3)
    const one = await s.acquire()
    const events: string[] = []
    const all = s.acquireAll().then((r) => (events.push('all'), r))
    const later = s.acquire().then((r) => (events.push('later'), r))
    await tick()
    assert.deepEqual(events, [])
    one()
    await tick()
    assert.deepEqual(events, ['all'])
    ;(await all)()
    await tick()
    assert.deepEqual(events, ['all', 'later'])
    ;(await later)()
  })

  it('refuses a permit count that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Semaphore(n), RangeError)
  })
})

describe('eachConcurrently', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0
    let peak = 0
    const seen: number[] = []
    await eachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await tick()
      seen.push(n)
      inFlight--
    })
    assert.equal(peak, 3)
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7])
  })

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = []
    await assert.rejects(
      eachConcurrently([1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n)
        await tick()
        if (n === 2) throw new Error('boom')
      }),
      /boom/,
    )
    assert.ok(!started.includes(5), `started ${started.join(',')}`)
  })

  it('refuses a limit that is not a positive integer', async () => {
    await assert.rejects(
      eachConcurrently([1], 0, () => Promise.resolve()),
      RangeError,
    )
  })
})
