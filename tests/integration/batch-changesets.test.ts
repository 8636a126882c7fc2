import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { toErrorResponse } from '../../src/api/errors.ts'
import { parseQueryOptions } from '../../src/query/index.ts'
import { AppError } from '../../src/shared/errors.ts'
import { openBatchFixture, type BatchFixture } from '../helpers/batch-fixture.ts'

const CRLF = '\r\n'

describe('$batch through a real environment', () => {
  let f: BatchFixture
  let api: string
  before(async () => {
    f = await openBatchFixture()
    api = f.ctx.webApiUrl
  })
  after(async () => {
    await f.close()
  })

  const part = (line: string, body?: unknown, contentId?: string, headers: string[] = []) => [
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    ...(contentId === undefined ? [] : [`Content-ID: ${contentId}`]),
    '',
    line,
    ...(body === undefined ? [] : ['Content-Type: application/json']),
    ...headers,
    '',
    ...(body === undefined ? [] : [JSON.stringify(body)]),
  ]
  const changeset = (name: string, ...parts: string[][]) => [
    `Content-Type: multipart/mixed; boundary=${name}`,
    '',
    ...parts.flatMap((p) => [`--${name}`, ...p]),
    `--${name}--`,
  ]
  const body = (...parts: string[][]) =>
    [...parts.flatMap((p) => ['--batch_1', ...p]), '--batch_1--', ''].join(CRLF)
  const countNamed = async (name: string) => {
    const table = await f.app.records.getTable(f.env.id, 'account')
    return f.app.records.countRecords(
      f.env.id,
      'account',
      parseQueryOptions({ $filter: `name eq '${name}'` }, table),
    )
  }
  const errorCode = (text: string): unknown =>
    (JSON.parse(text) as { error: { code: unknown } }).error.code

  it('rolls back a change set whose third create fails, and answers with its error alone', async () => {
    const res = await f.batch(
      body(
        changeset(
          'cs_1',
          part(`POST ${api}accounts HTTP/1.1`, { name: 'rollback-1' }, '1'),
          part(`POST ${api}accounts HTTP/1.1`, { name: 'rollback-1' }, '2'),
          part(`POST ${api}accounts HTTP/1.1`, { name: 'rollback-1', nosuchcolumn: 1 }, '3'),
        ),
      ),
    )
    // Dataverse: without continue-on-error the batch answers with the failure's status.
    assert.equal(res.status, 400)
    assert.equal(res.parts.length, 1)
    const [failed] = res.parts
    assert.equal(failed?.status, 400)
    assert.equal(failed.changeset, undefined)
    assert.equal(failed.contentId, '3')
    assert.equal(errorCode(failed.body), '0x80060888')
    assert.equal(await countNamed('rollback-1'), 0)
  })

  it('commits a change set with Content-ID references in URLs and @odata.bind', async () => {
    const res = await f.batch(
      body(
        changeset(
          'cs_1',
          part(`POST ${api}contacts HTTP/1.1`, { firstname: 'Ref', lastname: 'Contact' }, '1'),
          part(
            `POST /api/data/v9.2/accounts HTTP/1.1`,
            { name: 'ref-account', 'primarycontactid@odata.bind': '$1' },
            '2',
          ),
          part('PATCH $2 HTTP/1.1', { name: 'ref-account-renamed' }, '3'),
        ),
        part(
          `GET accounts?$select=name,_primarycontactid_value&$filter=name%20eq%20'ref-account-renamed' HTTP/1.1`,
        ),
      ),
    )
    assert.equal(res.status, 200)
    assert.deepEqual(
      res.parts.map((p) => [p.contentId, p.status, p.changeset !== undefined]),
      [
        ['1', 204, true],
        ['2', 204, true],
        ['3', 204, true],
        [undefined, 200, false],
      ],
    )
    const contactUrl = res.parts[0]?.headers.get('odata-entityid') ?? ''
    const accountUrl = res.parts[1]?.headers.get('odata-entityid') ?? ''
    assert.match(contactUrl, /\/contacts\([0-9a-f-]{36}\)$/)
    assert.ok(accountUrl.startsWith(`${api}accounts(`))
    const contactId = /\(([^)]+)\)$/.exec(contactUrl)?.[1]
    const rows = (JSON.parse(res.parts[3]?.body ?? '') as { value: Record<string, unknown>[] })
      .value
    assert.equal(rows.length, 1)
    assert.equal(rows[0]?.['_primarycontactid_value'], contactId)
  })

  it('stops at the first failure without continue-on-error', async () => {
    const res = await f.batch(
      body(
        part(`POST ${api}accounts HTTP/1.1`, { name: 'stop-1' }),
        part(`POST ${api}accounts HTTP/1.1`, { name: 'x'.repeat(161) }),
        part(`POST ${api}accounts HTTP/1.1`, { name: 'stop-1' }),
      ),
    )
    assert.equal(res.status, 400)
    assert.deepEqual(
      res.parts.map((p) => p.status),
      [204, 400],
    )
    assert.equal(res.headers['Preference-Applied'], undefined)
    // Outside a change set each request commits on its own: the first stays, the third never ran.
    assert.equal(await countNamed('stop-1'), 1)
  })

  it('goes on after failures with Prefer: odata.continue-on-error', async () => {
    const res = await f.batch(
      body(
        part(`POST ${api}accounts HTTP/1.1`, { name: 'coe-1' }),
        part(`GET ${api}accounts(00000000-0000-0000-0000-000000000009) HTTP/1.1`),
        changeset(
          'cs_1',
          part(`POST ${api}accounts HTTP/1.1`, { name: 'coe-cs' }, 'a'),
          part(
            `DELETE ${api}accounts(00000000-0000-0000-0000-000000000009) HTTP/1.1`,
            undefined,
            'b',
          ),
        ),
        changeset('cs_2', part(`POST ${api}accounts HTTP/1.1`, { name: 'coe-cs2' }, 'c')),
        part(`POST ${api}accounts HTTP/1.1`, { name: 'coe-1' }),
      ),
      { prefer: 'odata.continue-on-error' },
    )
    assert.equal(res.status, 200)
    assert.equal(res.headers['Preference-Applied'], 'odata.continue-on-error')
    assert.deepEqual(
      res.parts.map((p) => [p.status, p.contentId, p.changeset !== undefined]),
      [
        [204, undefined, false],
        [404, undefined, false],
        [404, 'b', false],
        [204, 'c', true],
        [204, undefined, false],
      ],
    )
    assert.equal(errorCode(res.parts[1]?.body ?? ''), '0x80040217')
    assert.equal(await countNamed('coe-1'), 2)
    assert.equal(await countNamed('coe-cs'), 0)
    assert.equal(await countNamed('coe-cs2'), 1)
  })

  it('refuses 1,001 operations with a 400 before running any', async () => {
    const parts = Array.from({ length: 1001 }, () =>
      part(`POST ${api}accounts HTTP/1.1`, { name: 'too-many' }),
    )
    const error = await f.batch(body(...parts)).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof AppError)
    assert.equal(error.code, 'BATCH_TOO_LARGE')
    assert.equal(toErrorResponse(error, 'r').status, 400)
    assert.match(error.message, /more than 1,000 requests/)
    assert.equal(await countNamed('too-many'), 0)
  })

  it('runs 1,000 creates in one change set as one transaction', async () => {
    const parts = Array.from({ length: 1000 }, (_, i) =>
      part(`POST ${api}accounts HTTP/1.1`, { name: 'thousand' }, String(i + 1)),
    )
    const res = await f.batch(body(changeset('cs_big', ...parts)))
    assert.equal(res.status, 200)
    assert.equal(res.parts.length, 1000)
    assert.ok(res.parts.every((p) => p.status === 204))
    assert.equal(await countNamed('thousand'), 1000)
  })

  it('refuses a URL of another environment for the whole batch', async () => {
    const other = api.replace('/prod/', '/test/')
    await assert.rejects(
      f.batch(
        body(
          part(`POST ${api}accounts HTTP/1.1`, { name: 'foreign' }),
          part(`GET ${other}accounts HTTP/1.1`),
        ),
      ),
      { code: 'BATCH_URL_REFUSED' },
    )
    assert.equal(await countNamed('foreign'), 0)
  })
})
