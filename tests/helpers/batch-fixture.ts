import type { Strongroom } from '../../src/app.ts'
import { createBatchHandler } from '../../src/api/batch/index.ts'
import { parseBoundary } from '../../src/api/batch/parse-boundary.ts'
import { parseHeaders } from '../../src/api/batch/parse-headers.ts'
import { DEFAULT_BATCH_LIMITS } from '../../src/api/batch/limits.ts'
import { splitMultipart } from '../../src/api/batch/split-multipart.ts'
import type { ApiRequestContext, ODataHandler, ODataResponse } from '../../src/api/context.ts'
import { createODataHandler } from '../../src/api/odata/index.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import type { Environment } from '../../src/control/environments/environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import type { ProvisionedIds } from '../../src/records/index.ts'
import { systemClock } from '../../src/shared/clock.ts'
import { AppError } from '../../src/shared/errors.ts'
import { capturingLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { tempDir } from './cli.ts'
import { openApp } from './open-app.ts'

/** A real environment and the Web API's OData handler with $batch wired in, for tests. */
export interface BatchFixture {
  readonly app: Strongroom
  readonly env: Environment
  readonly ids: ProvisionedIds
  /** SYSTEM with System Administrator, as the pipeline would build it. */
  readonly ctx: ApiRequestContext
  readonly odata: ODataHandler
  /** POST $batch with `body` (boundary batch_1 unless `contentType` says otherwise). */
  batch(
    body: string,
    headers?: Readonly<Record<string, string>>,
  ): Promise<ODataResponse & { readonly parts: readonly ResponsePart[] }>
  close(): Promise<void>
}

/** One response part of a batch response, change sets flattened. */
export interface ResponsePart {
  /** The changeset response boundary it was in, if any. */
  readonly changeset?: string
  readonly contentId?: string
  readonly status: number
  readonly reason: string
  readonly headers: ReadonlyMap<string, string>
  readonly body: string
}

/**
 * Wires the batch handler the way the main OData handler delegates to it: `$batch` goes to
 * createBatchHandler, whose handlerFor builds the OData handler over the records it is given.
 */
export async function openBatchFixture(
  webApiOrigin = 'https://localhost:8443',
): Promise<BatchFixture> {
  const dir = tempDir('sr-batch-')
  const app = await openApp(dir.path, { init: true })
  await createTenant(app.control, { name: 'contoso', actor: 'test' })
  const env = await createEnvironment(app.control, {
    tenant: 'contoso',
    name: 'prod',
    actor: 'test',
  })
  const ids = await app.records.readProvisionedIds(env.id)
  const environmentUrl = `${webApiOrigin}/contoso/prod/`
  const ctx: ApiRequestContext = {
    requestId: 'req-batch',
    environment: env,
    principal: {
      kind: 'application',
      tenantId: env.tenantId,
      issuer: 'test',
      issuerKind: 'builtin',
      subject: 'test',
      clientId: 'test',
      audience: environmentUrl,
      issuedAt: 0,
      expiresAt: 0,
      methods: [],
    },
    caller: {
      systemUserId: ids.systemUserId,
      businessUnitId: ids.businessUnitId,
      roles: ['System Administrator'],
    },
    environmentUrl,
    webApiUrl: `${environmentUrl}api/data/v9.2/`,
    version: 'v9.2',
  }
  const logger = capturingLogger()
  const deps = { clock: systemClock, random: cryptoRandom, logger }
  const main = createODataHandler({ ...deps, records: app.records })
  const batch = createBatchHandler({
    ...deps,
    records: app.records,
    handlerFor: (records) => createODataHandler({ ...deps, records }),
  })
  const odata: ODataHandler = (c, req) => (req.path === '$batch' ? batch(c, req) : main(c, req))
  return {
    app,
    env,
    ids,
    ctx,
    odata,
    async batch(body, headers = {}) {
      const res = await odata(ctx, {
        method: 'POST',
        path: '$batch',
        query: {},
        headers: { 'content-type': 'multipart/mixed; boundary=batch_1', ...headers },
        body,
      })
      return { ...res, parts: readBatchResponse(res) }
    },
    async close() {
      await app.close()
      dir.remove()
    },
  }
}

/** Reads a batch response back with the batch parser's own multipart reader. */
export function readBatchResponse(res: ODataResponse): ResponsePart[] {
  const contentType = res.headers['Content-Type']
  if (typeof res.body !== 'string') throw new TypeError('a batch response body is text')
  const options = {
    maxParts: 10_000,
    tooMany: () => new AppError('BATCH_TOO_LARGE', 'too many'),
    limits: DEFAULT_BATCH_LIMITS,
  }
  const out: ResponsePart[] = []
  const read = (lines: readonly string[], boundary: string, changeset?: string): void => {
    for (const part of splitMultipart(lines, boundary, { where: 'response', ...options })) {
      const type = part.headers.get('content-type') ?? ''
      if (type.startsWith('multipart/mixed')) {
        const inner = parseBoundary(type, 'changeset')
        read(part.lines, inner, inner)
        continue
      }
      if (type !== 'application/http') throw new TypeError(`unexpected part type ${type}`)
      const m = /^HTTP\/1\.1 (\d{3}) ([A-Za-z ]+)$/.exec(part.lines[0] ?? '')
      if (m === null) throw new TypeError(`bad status line ${String(part.lines[0])}`)
      const { headers, next } = parseHeaders(part.lines, 1, {
        where: 'response',
        repeated: 'refuse',
        limits: DEFAULT_BATCH_LIMITS,
      })
      const contentId = part.headers.get('content-id')
      out.push({
        ...(changeset === undefined ? {} : { changeset }),
        ...(contentId === undefined ? {} : { contentId }),
        status: Number(m[1]),
        reason: m[2] ?? '',
        headers,
        body: part.lines.slice(next).join('\n').trim(),
      })
    }
  }
  read(res.body.split('\r\n'), parseBoundary(contentType, 'batch'))
  return out
}
