import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { DynamicsWebApi } from 'dynamics-web-api'
import { toErrorResponse } from '../../src/api/errors.ts'
import { parseQueryOptions } from '../../src/query/index.ts'
import { openBatchFixture, type BatchFixture } from '../helpers/batch-fixture.ts'

/**
 * DynamicsWebApi builds the batch and parses the answer with its own code. The transport is a
 * plain loopback HTTP server that hands the body to the fixture's OData handler: TLS, tokens
 * and routing are the server's business and are tested end to end elsewhere.
 */
describe('$batch with DynamicsWebApi', () => {
  let f: BatchFixture
  let server: Server
  let dwa: DynamicsWebApi

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string') headers[k] = v
        }
        const prefix = '/contoso/prod/api/data/v9.2/'
        f.odata(f.ctx, {
          method: req.method ?? 'GET',
          path: (req.url ?? '').slice(prefix.length).split('?')[0] ?? '',
          query: {},
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
          .catch((e: unknown) => {
            const { status, body } = toErrorResponse(e, 'req')
            return { status, headers: { 'Content-Type': 'application/json' }, body }
          })
          .then((answer) => {
            res.writeHead(answer.status, { 'OData-Version': '4.0', ...answer.headers })
            res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body))
          })
          .catch(() => res.destroy())
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    f = await openBatchFixture(`http://127.0.0.1:${String(port)}`)
    dwa = new DynamicsWebApi({
      serverUrl: f.ctx.environmentUrl,
      dataApi: { version: '9.2' },
      onTokenRefresh: () => Promise.resolve('test-token'),
    })
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await f.close()
  })

  const countNamed = async (name: string) => {
    const table = await f.app.records.getTable(f.env.id, 'account')
    return f.app.records.countRecords(
      f.env.id,
      'account',
      parseQueryOptions({ $filter: `name eq '${name}'` }, table),
    )
  }

  it('runs a change set with a $1 reference, then a query, and parses the answers', async () => {
    dwa.startBatch()
    void dwa.create({
      collection: 'contacts',
      data: { firstname: 'Dwa', lastname: 'Batch' },
      contentId: '1',
    })
    void dwa.create({
      collection: 'accounts',
      data: { name: 'dwa-account', 'primarycontactid@odata.bind': '$1' },
    })
    void dwa.retrieveMultiple({
      collection: 'accounts',
      select: ['name', '_primarycontactid_value'],
      filter: "name eq 'dwa-account'",
    })
    const [contactId, accountId, page] = (await dwa.executeBatch()) as [
      string,
      string,
      { value: Record<string, unknown>[] },
    ]
    assert.match(contactId, /^[0-9a-f-]{36}$/)
    assert.match(accountId, /^[0-9a-f-]{36}$/)
    assert.equal(page.value.length, 1)
    const [row] = page.value
    assert.ok(row)
    assert.equal(row['accountid'], accountId)
    assert.equal(row['_primarycontactid_value'], contactId)
  })

  it('rejects executeBatch when a change set fails, and nothing of it is kept', async () => {
    dwa.startBatch()
    void dwa.create({ collection: 'accounts', data: { name: 'dwa-rollback' } })
    void dwa.create({ collection: 'accounts', data: { name: 'dwa-rollback' } })
    void dwa.create({ collection: 'accounts', data: { name: 'dwa-rollback', nosuch: 1 } })
    const errors = await dwa.executeBatch().then(
      () => assert.fail('expected executeBatch to reject'),
      (e: unknown) => e,
    )
    assert.ok(Array.isArray(errors))
    assert.equal(errors.length, 1)
    const error = errors[0] as { status: number; error: { code: string; message: string } }
    assert.equal(error.status, 400)
    assert.equal(error.error.code, '0x80060888')
    assert.equal(await countNamed('dwa-rollback'), 0)
  })

  it('resolves with per-request errors under continueOnError', async () => {
    dwa.startBatch()
    void dwa.create({ collection: 'accounts', data: { name: 'dwa-coe' }, inChangeSet: false })
    void dwa.retrieve({ collection: 'accounts', key: '00000000-0000-0000-0000-000000000009' })
    void dwa.create({ collection: 'accounts', data: { name: 'dwa-coe' }, inChangeSet: false })
    const results = await dwa.executeBatch({ continueOnError: true })
    assert.equal(results.length, 3)
    assert.match(String(results[0]), /^[0-9a-f-]{36}$/)
    assert.ok(results[1] instanceof Error)
    assert.equal((results[1] as Error & { status: number }).status, 404)
    assert.match(String(results[2]), /^[0-9a-f-]{36}$/)
    assert.equal(await countNamed('dwa-coe'), 2)
  })
})
