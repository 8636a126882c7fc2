import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AppError, type ErrorCode } from '../../shared/errors.ts'
import { DEFAULT_BATCH_LIMITS } from './limits.ts'
import type { BatchItem, BatchOperation, ParsedBatch } from './model.ts'
import { parseBatch } from './parse-batch.ts'

const ctx = {
  environmentUrl: 'https://localhost:8443/contoso/prod/',
  webApiUrl: 'https://localhost:8443/contoso/prod/api/data/v9.2/',
}
const API = ctx.webApiUrl
const ID = '00000000-0000-0000-0000-000000000001'

const parse = (body: string, contentType = 'multipart/mixed;boundary=batch_1'): ParsedBatch =>
  parseBatch(body, contentType, ctx, {}, DEFAULT_BATCH_LIMITS)

const refuses = (code: ErrorCode, body: string, contentType?: string, message?: RegExp) => {
  assert.throws(
    () => parse(body, contentType),
    (e: unknown) => {
      assert.ok(e instanceof AppError, String(e))
      assert.equal(e.code, code, e.message)
      if (message !== undefined) assert.match(e.message, message)
      return true
    },
  )
}

/** A request part's lines (MIME headers, blank line, HTTP request). */
const request = (
  line: string,
  options: { contentId?: string; headers?: string[]; body?: string } = {},
): string[] => [
  'Content-Type: application/http',
  'Content-Transfer-Encoding: binary',
  ...(options.contentId === undefined ? [] : [`Content-ID: ${options.contentId}`]),
  '',
  line,
  ...(options.headers ?? []),
  ...(options.body === undefined ? [] : ['', options.body]),
]
const changeset = (boundary: string, ...parts: string[][]): string[] => [
  `Content-Type: multipart/mixed; boundary=${boundary}`,
  '',
  ...parts.flatMap((p) => [`--${boundary}`, ...p]),
  `--${boundary}--`,
]
const batch = (parts: string[][], eol = '\r\n', boundary = 'batch_1'): string =>
  [...parts.flatMap((p) => [`--${boundary}`, ...p]), `--${boundary}--`, ''].join(eol)

const op = (item: BatchItem | undefined): BatchOperation => {
  assert.equal(item?.kind, 'operation')
  return item.operation
}
const ops = (item: BatchItem | undefined): readonly BatchOperation[] => {
  assert.equal(item?.kind, 'changeset')
  return item.operations
}

describe('parseBatch', () => {
  // What DynamicsWebApi 2.5 sends (convertToBatch): a leading CRLF, no space after the
  // boundary's ';', Content-IDs from 100001, absolute URLs, a GET without an empty line.
  const dwaBody = [
    '',
    '--dwa_batch_7',
    'Content-Type: multipart/mixed;boundary=changeset_9',
    '',
    '--changeset_9',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 100001',
    '',
    `POST ${API}contacts HTTP/1.1`,
    'Content-Type: application/json',
    'Prefer: return=representation',
    '',
    '{"firstname":"John"}',
    '',
    '--changeset_9',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 1',
    '',
    `POST ${API}salesorders HTTP/1.1`,
    'Content-Type: application/json',
    '',
    '{"name":"order","customerid_contact@odata.bind":"$100001"}',
    '',
    '--changeset_9',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 100003',
    '',
    'PATCH $1 HTTP/1.1',
    'Content-Type: application/json',
    '',
    '{"name":"renamed"}',
    '',
    '--changeset_9--',
    '',
    '--dwa_batch_7',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    `GET ${API}contacts?$select=firstname&$filter=firstname%20eq%20'John' HTTP/1.1`,
    'Accept: application/json',
    '',
    '--dwa_batch_7--',
    '',
  ]

  const checkDwa = (parsed: ParsedBatch) => {
    assert.equal(parsed.operationCount, 4)
    assert.equal(parsed.items.length, 2)
    const [create, order, patch] = ops(parsed.items[0])
    assert.equal(create?.contentId, '100001')
    assert.equal(create.method, 'POST')
    assert.deepEqual(create.target, { kind: 'path', path: 'contacts' })
    assert.deepEqual(create.body, { firstname: 'John' })
    assert.equal(create.headers['prefer'], 'return=representation')
    assert.equal(create.headers['content-id'], undefined)
    assert.deepEqual(order?.body, { name: 'order', 'customerid_contact@odata.bind': '$100001' })
    assert.deepEqual(patch?.target, { kind: 'reference', contentId: '1', rest: '' })
    const get = op(parsed.items[1])
    assert.equal(get.method, 'GET')
    assert.deepEqual(get.target, { kind: 'path', path: 'contacts' })
    assert.deepEqual({ ...get.query }, { $select: 'firstname', $filter: "firstname eq 'John'" })
    assert.equal(get.body, undefined)
    assert.equal(get.index, 4)
  }

  it('parses the batch DynamicsWebApi builds', () => {
    checkDwa(parse(dwaBody.join('\r\n'), 'multipart/mixed;boundary=dwa_batch_7'))
  })

  it('accepts LF-only and mixed line endings', () => {
    checkDwa(parse(dwaBody.join('\n'), 'multipart/mixed;boundary=dwa_batch_7'))
    const mixed = dwaBody.map((l, i) => l + (i % 2 === 0 ? '\r\n' : '\n')).join('')
    checkDwa(parse(mixed, 'multipart/mixed;boundary=dwa_batch_7'))
  })

  it('takes quoted boundaries, parameters and spaces after the delimiter', () => {
    const boundary = "b'()+_,-./:=? x"
    const body = [
      'preamble text',
      `--${boundary}  `,
      ...request(`GET ${API}accounts(${ID}) HTTP/1.1`),
      `--${boundary}--   `,
      'epilogue',
    ].join('\r\n')
    const parsed = parse(body, `Multipart/Mixed; charset=utf-8; boundary="${boundary}"`)
    assert.deepEqual(op(parsed.items[0]).target, { kind: 'path', path: `accounts(${ID})` })
    const escaped = parse(
      batch([request(`GET ${API}accounts HTTP/1.1`)], '\r\n', 'ab'),
      'multipart/mixed; boundary="a\\b"',
    )
    assert.equal(escaped.operationCount, 1)
  })

  it('maps absolute URLs, absolute paths and service-root-relative paths', () => {
    const targets = [
      `${API}accounts(${ID})`,
      `/contoso/prod/api/data/v9.2/accounts(${ID})`,
      `/api/data/v9.2/accounts(${ID})`,
      `accounts(${ID})`,
      `HTTPS://LOCALHOST:8443/contoso/prod/api/data/v9.2/accounts(${ID})`,
    ]
    for (const t of targets) {
      const parsed = parse(batch([request(`GET ${t}?$select=name HTTP/1.1`)]))
      const get = op(parsed.items[0])
      assert.deepEqual(get.target, { kind: 'path', path: `accounts(${ID})` }, t)
      assert.deepEqual({ ...get.query }, { $select: 'name' })
    }
    const meta = op(parse(batch([request('GET $metadata HTTP/1.1')])).items[0])
    assert.deepEqual(meta.target, { kind: 'path', path: '$metadata' })
  })

  it('refuses URLs of another host, scheme, tenant, environment or version', () => {
    for (const t of [
      `https://evil.example/contoso/prod/api/data/v9.2/accounts`,
      `http://localhost:8443/contoso/prod/api/data/v9.2/accounts`,
      `https://localhost:9443/contoso/prod/api/data/v9.2/accounts`,
      `https://localhost:8443/fabrikam/prod/api/data/v9.2/accounts`,
      `https://localhost:8443/contoso/test/api/data/v9.2/accounts`,
      `https://localhost:8443/contoso/prod/api/data/v9.1/accounts`,
      `/contoso/test/api/data/v9.2/accounts`,
      `/api/data/v9.1/accounts`,
      `${API}../../../../fabrikam/prod/api/data/v9.2/accounts`,
      `../../../fabrikam/prod/api/data/v9.2/accounts`,
      `//evil.example/contoso/prod/api/data/v9.2/accounts`,
      `https://user:pw@localhost:8443/contoso/prod/api/data/v9.2/accounts`,
      `${API}accounts#fragment`,
      `https:\\\\evil.example\\contoso\\prod\\api\\data\\v9.2\\accounts`,
    ]) {
      refuses('BATCH_URL_REFUSED', batch([request(`GET ${t} HTTP/1.1`)]))
    }
  })

  it('resolves Content-ID references only to earlier requests of the same change set', () => {
    const parsed = parse(
      batch([
        changeset(
          'cs_1',
          request(`POST ${API}accounts HTTP/1.1`, { contentId: '1', body: '{"name":"a"}' }),
          request('POST $1/contact_customer_accounts?x=1 HTTP/1.1', {
            contentId: '2',
            body: '{"firstname":"c"}',
          }),
          request(`POST ${API}tasks HTTP/1.1`, {
            body: JSON.stringify({
              'regardingobjectid_account_task@odata.bind': '$1',
              nested: { 'x@odata.bind': ['$2', 'accounts(1)'] },
              '@odata.id': '$2/x',
            }),
          }),
        ),
      ]),
    )
    const [, second] = ops(parsed.items[0])
    assert.deepEqual(second?.target, {
      kind: 'reference',
      contentId: '1',
      rest: '/contact_customer_accounts',
    })
    assert.deepEqual({ ...second.query }, { x: '1' })

    const undeclared = (parts: string[][]) => {
      refuses('BATCH_REFERENCE_INVALID', batch(parts), undefined, /'\$\w+' does not exist/)
    }
    // A forward reference is a 400 in Dataverse too.
    undeclared([
      changeset(
        'cs_1',
        request(`POST ${API}tasks HTTP/1.1`, { body: '{"a@odata.bind":"$1"}' }),
        request(`POST ${API}accounts HTTP/1.1`, { contentId: '1', body: '{}' }),
      ),
    ])
    // Outside a change set, and across change sets.
    undeclared([request('PATCH $1 HTTP/1.1', { body: '{}' })])
    undeclared([
      changeset('cs_1', request(`POST ${API}accounts HTTP/1.1`, { contentId: '1', body: '{}' })),
      changeset('cs_2', request('DELETE $1 HTTP/1.1')),
    ])
    // Itself.
    undeclared([changeset('cs_1', request('DELETE $1 HTTP/1.1', { contentId: '1' }))])
  })

  it('refuses duplicate and malformed Content-IDs', () => {
    refuses(
      'BATCH_REFERENCE_INVALID',
      batch([
        changeset('cs_1', request(`POST ${API}a HTTP/1.1`, { contentId: '1', body: '{}' })),
        request(`GET ${API}a HTTP/1.1`, { contentId: '1' }),
      ]),
      undefined,
      /used twice/,
    )
    refuses(
      'BATCH_REFERENCE_INVALID',
      batch([request(`GET ${API}a HTTP/1.1`, { contentId: 'a b' })]),
    )
  })

  it('refuses GET in a change set, nested change sets and nested batches', () => {
    refuses(
      'BATCH_MALFORMED',
      batch([changeset('cs_1', request(`GET ${API}accounts HTTP/1.1`))]),
      undefined,
      /may not contain GET/,
    )
    refuses(
      'BATCH_MALFORMED',
      batch([
        changeset('cs_1', changeset('cs_2', request(`POST ${API}a HTTP/1.1`, { body: '{}' }))),
      ]),
      undefined,
      /another change set/,
    )
    refuses(
      'BATCH_MALFORMED',
      batch([request(`POST ${API}$batch HTTP/1.1`)]),
      undefined,
      /another batch/,
    )
  })

  it('allows 1,000 requests and refuses 1,001, in or out of change sets', () => {
    const get = request(`GET ${API}accounts HTTP/1.1`)
    assert.equal(parse(batch(Array.from({ length: 1000 }, () => get))).operationCount, 1000)
    refuses(
      'BATCH_TOO_LARGE',
      batch(Array.from({ length: 1001 }, () => get)),
      undefined,
      /more than 1,000 requests/,
    )
    const post = request(`POST ${API}accounts HTTP/1.1`, { body: '{}' })
    refuses(
      'BATCH_TOO_LARGE',
      batch([get, changeset('cs_1', ...Array.from({ length: 1000 }, () => post))]),
    )
  })

  it('allows a 64 KB URL and refuses a longer one', () => {
    const filter = (n: number) => `accounts?$filter=${'a'.repeat(n)}`
    const ok = filter(65_536 - 'accounts?$filter='.length)
    assert.equal(ok.length, 65_536)
    assert.equal(parse(batch([request(`GET ${ok} HTTP/1.1`)])).operationCount, 1)
    refuses(
      'BATCH_TOO_LARGE',
      batch([request(`GET ${ok}a HTTP/1.1`)]),
      undefined,
      /64|65,536|65536/,
    )
  })

  it('refuses malformed bodies with a message that says what is wrong', () => {
    const get = request(`GET ${API}accounts HTTP/1.1`)
    const cases: [string, string | undefined, RegExp][] = [
      [batch([get]), 'application/json', /multipart\/mixed/],
      [batch([get]), 'multipart/mixed', /no boundary/],
      [batch([get]), 'multipart/mixed; boundary=a; boundary=b', /twice/],
      [batch([get]), `multipart/mixed; boundary=${'x'.repeat(71)}`, /1 to 70/],
      [batch([get]), 'multipart/mixed; boundary="a b "', /1 to 70/],
      [batch([get]), 'multipart/mixed; boundary', /parameters are malformed/],
      ['--batch_1\r\n' + get.join('\r\n'), undefined, /closing boundary/],
      ['nothing here', undefined, /never occurs/],
      ['--batch_1--\r\n', undefined, /no parts/],
      [batch([request(`GET ${API}accounts HTTP/1.0`)]), undefined, /request line/],
      [batch([request(`FETCH ${API}accounts HTTP/1.1`)]), undefined, /not supported/],
      [batch([request(`get ${API}accounts HTTP/1.1`)]), undefined, /request line/],
      [batch([['Content-Type: text/plain', '', `GET ${API}a HTTP/1.1`]]), undefined, /app/],
      [
        batch([['Content-Type: application/http', 'Content-Transfer-Encoding: base64', '', 'x']]),
        undefined,
        /binary/,
      ],
      [batch([request(`POST ${API}a HTTP/1.1`, { body: '{"a":' })]), undefined, /JSON/],
      [batch([request(`GET ${API}a HTTP/1.1`, { body: '{}' })]), undefined, /no body/],
      [
        batch([
          request(`POST ${API}a HTTP/1.1`, { headers: ['Content-Type: text/xml'], body: '<a/>' }),
        ]),
        undefined,
        /application\/json/,
      ],
      [
        batch([request(`GET ${API}a HTTP/1.1`, { headers: ['NoColon'] })]),
        undefined,
        /Name: value/,
      ],
      [batch([request(`GET ${API}a HTTP/1.1`, { headers: ['A : b'] })]), undefined, /Name: value/],
      [batch([request(`GET ${API}a HTTP/1.1`, { headers: ['A: b\u0001'] })]), undefined, /control/],
      [
        batch([['Content-Type: application/http', 'Content-Type: application/http', '', 'x']]),
        undefined,
        /repeated/,
      ],
    ]
    for (const [body, contentType, message] of cases) {
      assert.throws(
        () => parse(body, contentType),
        (e: unknown) =>
          e instanceof AppError &&
          (e.code === 'BATCH_MALFORMED' || e.code === 'BATCH_REFERENCE_INVALID') &&
          message.test(e.message),
        `${message.source}: ${body.slice(0, 120)}`,
      )
    }
  })

  it('refuses too many header lines and bodies nested too deep', () => {
    const headers = Array.from({ length: 65 }, (_, i) => `X-${String(i)}: y`)
    refuses('BATCH_TOO_LARGE', batch([request(`GET ${API}a HTTP/1.1`, { headers })]))
    const deep = '['.repeat(40) + ']'.repeat(40)
    refuses('BATCH_TOO_LARGE', batch([request(`POST ${API}a HTTP/1.1`, { body: deep })]))
  })

  it('inherits the batch headers it should, and drops Authorization', () => {
    const parsed = parseBatch(
      batch([
        request(`GET ${API}a HTTP/1.1`, {
          headers: [
            'Authorization: Bearer other',
            'MSCRMCallerID: inner',
            'Accept: a',
            'Accept: b',
          ],
        }),
      ]),
      'multipart/mixed; boundary=batch_1',
      ctx,
      { 'odata-version': '4.0', mscrmcallerid: 'outer' },
      DEFAULT_BATCH_LIMITS,
    )
    assert.deepEqual(op(parsed.items[0]).headers, {
      'odata-version': '4.0',
      mscrmcallerid: 'inner',
      accept: 'a, b',
    })
  })

  it('never fails with anything but an AppError (fast-check)', () => {
    const valid = batch([
      changeset(
        'cs_1',
        request(`POST ${API}accounts HTTP/1.1`, { contentId: '1', body: '{"a@odata.bind":"x"}' }),
        request('PATCH $1 HTTP/1.1', { body: '{}' }),
      ),
      request(`GET ${API}accounts?$top=1 HTTP/1.1`),
    ])
    const check = (body: string, contentType: string) => {
      try {
        parse(body, contentType)
      } catch (e) {
        if (!(e instanceof AppError)) throw e
      }
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.string(), (body, type) => {
        check(body, type)
        check(body, 'multipart/mixed; boundary=batch_1')
      }),
      { numRuns: 500 },
    )
    // Mutations of a valid batch reach deeper.
    fc.assert(
      fc.property(
        fc.nat(valid.length),
        fc.nat(40),
        fc.string({ unit: 'binary', maxLength: 20 }),
        (at, drop, insert) => {
          check(
            valid.slice(0, at) + insert + valid.slice(at + drop),
            'multipart/mixed; boundary=batch_1',
          )
        },
      ),
      { numRuns: 2000 },
    )
  })
})
