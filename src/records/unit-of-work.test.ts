import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { parseQueryOptions } from '../query/index.ts'
import { AppError } from '../shared/errors.ts'
import { asEnvironmentId } from '../shared/ids.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'
import type { RecordOperations } from './records-service.ts'

describe('records.transaction (unit of work)', () => {
  let f: RecordsFixture
  let actorId: string
  before(async () => {
    f = await createRecordsFixture()
    actorId = f.ids.systemUserId
  })
  after(async () => {
    await f.close()
  })

  const readCounter = () =>
    f.databases.use(f.env, async (db) => {
      const row = await db.selectFrom('_rowversion').select('value').executeTakeFirstOrThrow()
      return row['value']
    })
  const exists = async (id: string) => {
    try {
      await f.service.retrieveRecord(f.env, 'account', id)
      return true
    } catch (e) {
      if (e instanceof AppError && e.code === 'RECORD_NOT_FOUND') return false
      throw e
    }
  }
  const count = async (ops: RecordOperations, name: string) => {
    const table = await ops.getTable(f.env, 'account')
    const query = parseQueryOptions({ $filter: `name eq '${name}'` }, table)
    return ops.countRecords(f.env, 'account', query)
  }

  it('commits every operation of the unit of work together', async () => {
    const [a, b] = await f.service.transaction(f.env, async (tx) => {
      const first = await tx.createRecord(f.env, 'account', { name: 'uow-commit' }, { actorId })
      const second = await tx.createRecord(f.env, 'account', { name: 'uow-commit' }, { actorId })
      await tx.updateRecord(f.env, 'account', first, { description: 'changed' }, { actorId })
      return [first, second]
    })
    assert.equal(await exists(a), true)
    assert.equal(await exists(b), true)
    const read = await f.service.retrieveRecord(f.env, 'account', a)
    assert.equal(read['description'], 'changed')
  })

  it('rolls back all of it when fn throws after two creates', async () => {
    const counterBefore = await readCounter()
    const ids: string[] = []
    await assert.rejects(
      f.service.transaction(f.env, async (tx) => {
        ids.push(await tx.createRecord(f.env, 'account', { name: 'uow-rollback' }, { actorId }))
        ids.push(await tx.createRecord(f.env, 'account', { name: 'uow-rollback' }, { actorId }))
        throw new Error('boom')
      }),
      { message: 'boom' },
    )
    assert.equal(ids.length, 2)
    for (const id of ids) assert.equal(await exists(id), false)
    assert.equal(await count(f.service, 'uow-rollback'), 0)
    // The versions the rolled-back writes took are given back.
    assert.equal(await readCounter(), counterBefore)
  })

  it('rolls back when an operation fails and fn lets the error through', async () => {
    let created = ''
    await assert.rejects(
      f.service.transaction(f.env, async (tx) => {
        created = await tx.createRecord(f.env, 'account', { name: 'uow-op-fail' }, { actorId })
        await tx.createRecord(f.env, 'account', { accountid: created, name: 'dup' }, { actorId })
      }),
      { code: 'RECORD_DUPLICATE' },
    )
    assert.equal(await exists(created), false)
  })

  it('lets reads inside the unit of work see its own writes', async () => {
    await f.service.transaction(f.env, async (tx) => {
      const id = await tx.createRecord(f.env, 'account', { name: 'uow-read' }, { actorId })
      const read = await tx.retrieveRecord(f.env, 'account', id)
      assert.equal(read['name'], 'uow-read')
      assert.equal(await count(tx, 'uow-read'), 1)
      const table = await tx.getTable(f.env, 'account')
      const page = await tx.queryRecords(
        f.env,
        'account',
        parseQueryOptions({ $filter: "name eq 'uow-read'" }, table),
      )
      assert.deepEqual(
        page.records.map((r) => r['accountid']),
        [id],
      )
      await tx.deleteRecord(f.env, 'account', id, { actorId })
      assert.equal(await count(tx, 'uow-read'), 0)
    })
  })

  it('keeps versionnumber strictly increasing inside and across units of work', async () => {
    const outside = await f.service.createRecord(f.env, 'account', { name: 'v0' }, { actorId })
    const v0 = Number((await f.service.retrieveRecord(f.env, 'account', outside))['versionnumber'])
    const versions = await f.service.transaction(f.env, async (tx) => {
      const id = await tx.createRecord(f.env, 'account', { name: 'v1' }, { actorId })
      const v1 = Number((await tx.retrieveRecord(f.env, 'account', id))['versionnumber'])
      const v2 = await tx.updateRecord(f.env, 'account', id, { name: 'v2' }, { actorId })
      const v3 = await tx.updateRecord(f.env, 'account', outside, { name: 'v3' }, { actorId })
      return [v1, v2, v3]
    })
    const after = await f.service.updateRecord(
      f.env,
      'account',
      outside,
      { name: 'v4' },
      { actorId },
    )
    const all = [v0, ...versions, after]
    for (let i = 1; i < all.length; i += 1) {
      assert.ok((all[i] ?? 0) > (all[i - 1] ?? 0), `versions ${all.join(',')} must increase`)
    }
  })

  it('undoes a failed write that fn catches, and commits the rest', async () => {
    const denied = new AppError('FORBIDDEN', 'not yours')
    let kept = ''
    await f.service.transaction(f.env, async (tx) => {
      kept = await tx.createRecord(f.env, 'account', { name: 'uow-kept' }, { actorId })
      // This create inserts its row, then the scope refuses it: the savepoint takes it back.
      await assert.rejects(
        tx.createRecord(
          f.env,
          'account',
          { name: 'uow-refused' },
          { actorId, scope: { where: (eb) => eb(eb.val(1), '=', 0), denied: () => denied } },
        ),
        { code: 'FORBIDDEN' },
      )
    })
    assert.equal(await exists(kept), true)
    assert.equal(await count(f.service, 'uow-refused'), 0)
  })

  it('serialises concurrent calls on tx', async () => {
    const ids = await f.service.transaction(f.env, (tx) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          tx.createRecord(f.env, 'account', { name: `uow-par-${String(i)}` }, { actorId }),
        ),
      ),
    )
    assert.equal(new Set(ids).size, 10)
    for (const id of ids) assert.equal(await exists(id), true)
  })

  it('nests: a nested transaction that throws undoes only its own work', async () => {
    const [outer, inner] = await f.service.transaction(f.env, async (tx) => {
      const o = await tx.createRecord(f.env, 'account', { name: 'uow-outer' }, { actorId })
      let i = ''
      await assert.rejects(
        tx.transaction(f.env, async (nested) => {
          i = await nested.createRecord(f.env, 'account', { name: 'uow-inner' }, { actorId })
          throw new Error('inner')
        }),
        { message: 'inner' },
      )
      const ok = await tx.transaction(f.env, (nested) =>
        nested.createRecord(f.env, 'account', { name: 'uow-inner-ok' }, { actorId }),
      )
      assert.equal((await tx.retrieveRecord(f.env, 'account', ok))['name'], 'uow-inner-ok')
      return [o, i]
    })
    assert.equal(await exists(outer), true)
    assert.equal(await exists(inner), false)
    assert.equal(await count(f.service, 'uow-inner-ok'), 1)
  })

  it('refuses (instead of deadlocking) a call on the service for the held environment', async () => {
    await assert.rejects(
      f.service.transaction(f.env, async () => {
        await f.service.retrieveRecord(f.env, 'account', randomUUID())
      }),
      /unit of work is open in this context; call the operation on tx/,
    )
    await assert.rejects(
      f.service.transaction(f.env, () => f.service.transaction(f.env, () => Promise.resolve(1))),
      /call the operation on tx/,
    )
    // The connection was released: the service works again.
    assert.equal(await exists(randomUUID()), false)
  })

  it('still refuses in each later unit of work (the detection is re-armed per unit)', async () => {
    // Between units of work the context tracking is off (no promise hooks for plain reads);
    // every new unit of work must turn it on again, including while another one is open.
    for (let round = 0; round < 3; round++) {
      assert.equal(await exists(randomUUID()), false)
      await assert.rejects(
        f.service.transaction(f.env, async (tx) => {
          await tx.retrieveRecord(f.env, 'account', randomUUID()).catch(() => undefined)
          await new Promise((resolve) => setImmediate(resolve))
          await f.service.retrieveRecord(f.env, 'account', randomUUID())
        }),
        /unit of work is open in this context; call the operation on tx/,
      )
    }
    // Two units queued on the same connection: the second still detects after the first ended.
    const first = f.service.transaction(f.env, () => Promise.resolve('first'))
    const second = f.service.transaction(f.env, async () => {
      await f.service.getTable(f.env, 'account')
      await f.service.retrieveRecord(f.env, 'account', randomUUID())
    })
    assert.equal(await first, 'first')
    await assert.rejects(second, /call the operation on tx/)
  })

  it('refuses tx for another environment and after the unit of work ended', async () => {
    let escaped: RecordOperations | undefined
    await assert.rejects(
      f.service.transaction(f.env, async (tx) => {
        escaped = tx
        await tx.listTables(asEnvironmentId(randomUUID()))
      }),
      RangeError,
    )
    assert.ok(escaped)
    await assert.rejects(escaped.listTables(f.env), /unit of work has ended/)
  })

  it('isolates: a call from outside waits for the commit and then sees it', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered!: () => void
    const inside = new Promise<void>((resolve) => {
      entered = resolve
    })
    const unit = f.service.transaction(f.env, async (tx) => {
      await tx.createRecord(f.env, 'account', { name: 'uow-isolated' }, { actorId })
      entered()
      await gate
    })
    await inside
    const counted = count(f.service, 'uow-isolated')
    release()
    await unit
    assert.equal(await counted, 1)
  })
})
