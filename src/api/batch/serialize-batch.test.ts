import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../../shared/errors.ts'
import type { Random } from '../../shared/random.ts'
import { prefersContinueOnError } from './batch-handler.ts'
import { DEFAULT_BATCH_LIMITS } from './limits.ts'
import type { ItemResult } from './model.ts'
import { parseBoundary } from './parse-boundary.ts'
import { parseHeaders } from './parse-headers.ts'
import { serializeBatch } from './serialize-batch.ts'
import { splitMultipart } from './split-multipart.ts'

const uuids = (...values: string[]): Random => {
  let i = 0
  return {
    uuid: () => values[i++ % values.length] ?? '',
    bytes: (n) => new Uint8Array(n),
  }
}
const split = (lines: readonly string[], boundary: string) =>
  splitMultipart(lines, boundary, {
    where: 'response',
    maxParts: 100,
    tooMany: () => new AppError('BATCH_TOO_LARGE', 'too many'),
    limits: DEFAULT_BATCH_LIMITS,
  })
// DynamicsWebApi 2.5 parseBatchResponse reads the status line with this.
const DWA_STATUS = /HTTP\/?\s*[\d.]*\s+(\d{3})\s+([\w\s]*)$/m

describe('serializeBatch', () => {
  const results: ItemResult[] = [
    {
      kind: 'operation',
      result: { response: { status: 200, headers: {}, body: { value: [{ name: 'a' }] } } },
    },
    {
      kind: 'changeset',
      results: [
        {
          contentId: '1',
          response: { status: 204, headers: { 'OData-EntityId': 'https://h/accounts(1)' } },
        },
        {
          contentId: '2',
          response: { status: 200, headers: { 'Content-Type': 'text/plain' }, body: '42' },
        },
      ],
    },
    {
      kind: 'changeset-failed',
      result: {
        contentId: '3',
        response: {
          status: 412,
          headers: { 'X-Evil': 'a\r\n\r\n--batchresponse_u1\r\nb', 'bad name': 'x' },
          body: { error: { code: '0x80060882', message: 'changed' } },
        },
      },
    },
  ]

  it('writes what the multipart reader (and Dataverse clients) read back', () => {
    const { contentType, body } = serializeBatch(results, uuids('u1', 'u2'))
    assert.equal(contentType, 'multipart/mixed; boundary=batchresponse_u1')
    assert.ok(body.startsWith('--batchresponse_u1\r\n'), 'no preamble: DWA takes line 1')
    assert.ok(body.endsWith('--batchresponse_u1--\r\n'))
    assert.doesNotMatch(body.replaceAll('\r\n', ''), /\n|\r/, 'every line ends with CRLF')
    const lines = body.split('\r\n')
    const parts = split(lines, parseBoundary(contentType, 'response'))
    assert.equal(parts.length, 3)

    const [first, changeset, failed] = parts
    const http = (part: { lines: readonly string[] } | undefined) => {
      const status = part?.lines[0] ?? ''
      const { headers, next } = parseHeaders(part?.lines ?? [], 1, {
        where: 'r',
        repeated: 'refuse',
        limits: DEFAULT_BATCH_LIMITS,
      })
      return { status, headers, body: part?.lines.slice(next).join('\n') ?? '' }
    }
    assert.equal(first?.headers.get('content-type'), 'application/http')
    const one = http(first)
    assert.equal(one.status, 'HTTP/1.1 200 OK')
    assert.equal(one.headers.get('odata-version'), '4.0')
    assert.match(one.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(JSON.parse(one.body), { value: [{ name: 'a' }] })

    const inner = parseBoundary(changeset?.headers.get('content-type'), 'changeset')
    assert.equal(inner, 'changesetresponse_u2')
    const members = split(changeset?.lines ?? [], inner)
    assert.deepEqual(
      members.map((m) => m.headers.get('content-id')),
      ['1', '2'],
    )
    const created = http(members[0])
    assert.equal(created.status, 'HTTP/1.1 204 No Content')
    assert.equal(created.headers.get('odata-entityid'), 'https://h/accounts(1)')
    assert.equal(created.body, '')
    const text = http(members[1])
    assert.equal(text.headers.get('content-type'), 'text/plain')
    assert.equal(text.body, '42')

    assert.equal(failed?.headers.get('content-id'), '3')
    const error = http(failed)
    assert.equal(error.status, 'HTTP/1.1 412 Precondition Failed')
    assert.equal(error.headers.get('x-evil'), 'a    --batchresponse_u1  b')
    assert.equal(error.headers.has('bad name'), false)
    assert.deepEqual(JSON.parse(error.body), { error: { code: '0x80060882', message: 'changed' } })
  })

  it('picks another boundary when a body contains the first one', () => {
    const clash: ItemResult[] = [
      {
        kind: 'operation',
        result: { response: { status: 200, headers: {}, body: { text: 'batchresponse_u1' } } },
      },
    ]
    assert.equal(
      serializeBatch(clash, uuids('u1', 'u3')).contentType,
      'multipart/mixed; boundary=batchresponse_u3',
    )
  })

  it('writes status lines DynamicsWebApi can read, for every status the API answers', () => {
    for (const status of [200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 412, 413, 414, 415]) {
      const { body } = serializeBatch(
        [{ kind: 'operation', result: { response: { status, headers: {} } } }],
        uuids('u'),
      )
      assert.equal(DWA_STATUS.exec(body)?.[1], String(status))
    }
    for (const status of [423, 429, 500, 503, 599]) {
      const { body } = serializeBatch(
        [{ kind: 'operation', result: { response: { status, headers: {} } } }],
        uuids('u'),
      )
      assert.equal(DWA_STATUS.exec(body)?.[1], String(status))
    }
  })
})

describe('prefersContinueOnError', () => {
  it('reads the preference among others, with or without the odata. prefix', () => {
    assert.equal(prefersContinueOnError(undefined), false)
    assert.equal(prefersContinueOnError('return=representation'), false)
    assert.equal(prefersContinueOnError('odata.continue-on-error'), true)
    assert.equal(prefersContinueOnError('return=minimal, odata.continue-on-error'), true)
    assert.equal(prefersContinueOnError('Continue-On-Error=true'), true)
    assert.equal(prefersContinueOnError('odata.continue-on-error=false'), false)
  })
})
