import { setImmediate as nextTurn } from 'node:timers/promises'
import type { RecordOperations } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Random } from '../../shared/random.ts'
import type {
  ApiRequestContext,
  Caller,
  ODataHandler,
  ODataRequest,
  ODataResponse,
} from '../context.ts'
import { toErrorResponse } from '../errors.ts'
import { parseImpersonation } from '../impersonation.ts'
import { DEFAULT_BATCH_LIMITS, type BatchLimits } from './limits.ts'
import type { BatchItem, BatchOperation, ItemResult, OperationResult } from './model.ts'
import { parseBatch } from './parse-batch.ts'
import { replaceReferences } from './references.ts'
import { serializeBatch, settleResult } from './serialize-batch.ts'

/** What createBatchHandler needs. */
export interface BatchDeps {
  /** The records service: requests outside change sets use it; change sets its `transaction`. */
  readonly records: RecordOperations
  /**
   * The OData handler over a given records implementation: the service for requests outside
   * change sets, a change set's unit of work (`tx`) inside one. It must reach records only
   * through what it is given.
   */
  readonly handlerFor: (records: RecordOperations) => ODataHandler
  readonly random: Random
  readonly logger?: Logger
  readonly limits?: Partial<BatchLimits>
}

/**
 * Headers of the batch request that each request inside inherits unless it sets them: the
 * OData protocol version and Dataverse's per-request options (impersonation, duplicate
 * detection, plug-in bypass, solution). Prefer and the content headers are the batch's own.
 */
const INHERITED = /^(?:odata-version|odata-maxversion|accept-language|callerobjectid|mscrm.*)$/

/**
 * `POST $batch` (OData 4.0 §11.7, multipart/mixed; dataverse-spec §7). Requests run in order
 * through the OData handler. A change set runs inside one records unit of work: if any of its
 * requests fails, all of it rolls back and the change set is answered with that request's error
 * alone. Without `Prefer: odata.continue-on-error` the batch stops at the first failure and,
 * as Dataverse does, answers with that failure's status (the responses so far in the body);
 * with it, every request runs and the batch answers 200 with `Preference-Applied`.
 *
 * Bounds: the responses together may take `limits.maxResponseBytes` (64 MiB); the request
 * whose response crosses it answers 413 BATCH_RESPONSE_TOO_LARGE (its change set rolled back)
 * and the batch stops there, whatever continue-on-error says. When `req.signal` aborts (the
 * client closed its connection), the batch stops before its next request and rolls back the
 * change set in progress; its answer then goes nowhere.
 *
 * Wiring: the main OData handler delegates `path === '$batch'` to the returned function.
 *
 * @throws AppError METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE and the
 *   parse errors of parseBatch (BATCH_*), for the batch as a whole (nothing has run then)
 */
export function createBatchHandler(deps: BatchDeps): ODataHandler {
  const limits: BatchLimits = { ...DEFAULT_BATCH_LIMITS, ...deps.limits }
  const outside = deps.handlerFor(deps.records)

  const errorResponse = (e: unknown, ctx: ApiRequestContext): ODataResponse => {
    const { status, body } = toErrorResponse(e, ctx.requestId)
    if (status >= 500) {
      deps.logger?.log('error', 'api.internal-error', {
        requestId: ctx.requestId,
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      })
    }
    return { status, headers: { 'Content-Type': 'application/json; odata.metadata=minimal' }, body }
  }

  const run = async (
    handler: ODataHandler,
    ctx: ApiRequestContext,
    op: BatchOperation,
    created: ReadonlyMap<string, string | undefined>,
  ): Promise<OperationResult> => {
    const contentId = op.contentId === undefined ? {} : { contentId: op.contentId }
    try {
      const entityPath = (id: string): string => {
        const path = created.get(id)
        if (path === undefined) {
          throw new AppError(
            'BATCH_REFERENCE_INVALID',
            `Content-ID Reference: '$${id}' does not name an entity: that request created none.`,
          )
        }
        return path
      }
      // Impersonation per part (docs/authz.md §8): its own header, or the batch's, inherited.
      const partCtx = await partContext(ctx, op)
      const req: ODataRequest = {
        method: op.method,
        path:
          op.target.kind === 'path'
            ? op.target.path
            : `${entityPath(op.target.contentId)}${op.target.rest}`,
        query: op.query,
        headers: op.headers,
        body: op.body === undefined ? undefined : replaceReferences(op.body, entityPath),
      }
      return { ...contentId, response: await handler(partCtx, req) }
    } catch (e) {
      return { ...contentId, response: errorResponse(e, ctx) }
    }
  }

  /**
   * The context a part runs in: the caller its (own or inherited) impersonation header names,
   * resolved with the same checks and caches as a request's (ctx.callerFor).
   */
  const partContext = async (
    ctx: ApiRequestContext,
    op: BatchOperation,
  ): Promise<ApiRequestContext> => {
    const caller = ctx.callerFor === undefined ? ctx.caller : await ctx.callerFor(op.headers)
    return caller === ctx.caller ? ctx : { ...ctx, caller }
  }

  /** What is left of the response size budget of one batch. */
  interface Budget {
    left: number
  }
  const tooLarge = (ctx: ApiRequestContext, contentId: string | undefined): OperationResult => ({
    ...(contentId === undefined ? {} : { contentId }),
    response: errorResponse(
      new AppError(
        'BATCH_RESPONSE_TOO_LARGE',
        `The batch response would exceed ${String(limits.maxResponseBytes)} bytes; the batch stopped here. Split it into smaller batches.`,
      ),
      ctx,
    ),
  })

  const runChangeSet = async (
    ctx: ApiRequestContext,
    operations: readonly BatchOperation[],
    signal: AbortSignal | undefined,
    budget: Budget,
  ): Promise<ItemResult> => {
    try {
      const { results, bytes } = await deps.records.transaction(ctx.environment.id, async (tx) => {
        const handler = deps.handlerFor(tx)
        const created = new Map<string, string | undefined>()
        const out: OperationResult[] = []
        let spent = 0
        for (const op of operations) {
          await nextTurn()
          // The client is gone: roll the whole change set back rather than commit it unseen.
          if (signal?.aborted === true) throw new ClientGone()
          const settled = settleResult(await run(handler, ctx, op, created))
          if (settled.result.response.status >= 400) throw new ChangeSetFailed(settled.result)
          spent += settled.bytes
          if (spent > budget.left) throw new ChangeSetFailed(tooLarge(ctx, op.contentId), true)
          if (op.contentId !== undefined) {
            created.set(op.contentId, entityPathOf(settled.result.response, ctx.webApiUrl))
          }
          out.push(settled.result)
        }
        return { results: out, bytes: spent }
      })
      budget.left -= bytes
      return { kind: 'changeset', results }
    } catch (e) {
      if (e instanceof ChangeSetFailed) {
        if (e.exhausted) budget.left = -1
        return { kind: 'changeset-failed', result: e.result }
      }
      // The unit of work itself failed (BEGIN or COMMIT: busy database, disk full), or the
      // client went away (ClientGone; nobody reads this answer).
      return { kind: 'changeset-failed', result: { response: errorResponse(e, ctx) } }
    }
  }

  const runOperation = async (
    ctx: ApiRequestContext,
    op: BatchOperation,
    budget: Budget,
  ): Promise<ItemResult> => {
    const settled = settleResult(await run(outside, ctx, op, new Map()))
    if (settled.bytes > budget.left) {
      budget.left = -1
      return { kind: 'operation', result: tooLarge(ctx, op.contentId) }
    }
    budget.left -= settled.bytes
    return { kind: 'operation', result: settled.result }
  }

  return async (ctx, req) => {
    if (req.method !== 'POST') {
      throw new AppError('METHOD_NOT_ALLOWED', 'The $batch resource answers only POST.')
    }
    if (typeof req.body !== 'string') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'A $batch request body is multipart/mixed.')
    }
    // Without a resolver (the handler used outside the server), a part may act only as the
    // batch's caller: one naming another user is refused.
    const batchTarget = parseImpersonation(req.headers)
    const batchCtx: ApiRequestContext =
      ctx.callerFor !== undefined
        ? ctx
        : {
            ...ctx,
            callerFor: (headers) => {
              const target = parseImpersonation(headers)
              if (target?.by !== batchTarget?.by || target?.id !== batchTarget?.id) {
                throw new AppError(
                  'IMPERSONATION_HEADER_INVALID',
                  'A request of this batch may not act as another user than the batch.',
                )
              }
              return Promise.resolve(ctx.caller)
            },
          }
    const inherited: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && INHERITED.test(name)) inherited[name] = value
    }
    const batch = parseBatch(req.body, req.headers['content-type'], ctx, inherited, limits)
    const runCtx = await withPartCallers(batchCtx, batch.items)
    const continueOnError = prefersContinueOnError(req.headers['prefer'])
    const results: ItemResult[] = []
    const budget: Budget = { left: limits.maxResponseBytes }
    let failure: ODataResponse | undefined
    for (const item of batch.items) {
      // Each request settles synchronously in SQLite, so without this turn of the event loop a
      // batch would run to its end before the server even saw the client close its socket
      // (or any other request got a look in).
      await nextTurn()
      // The client went away (socket closed): stop, run nothing more for nobody.
      if (req.signal?.aborted === true) break
      const result: ItemResult =
        item.kind === 'operation'
          ? await runOperation(runCtx, item.operation, budget)
          : await runChangeSet(runCtx, item.operations, req.signal, budget)
      results.push(result)
      const response = result.kind === 'changeset' ? undefined : result.result.response
      if (response !== undefined && response.status >= 400 && !continueOnError) {
        failure = response
        break
      }
      // The size limit stops the batch even with continue-on-error.
      if (budget.left < 0) {
        failure = response
        break
      }
    }
    const { contentType, body } = serializeBatch(results, deps.random)
    return {
      status: failure?.status ?? 200,
      headers: {
        'Content-Type': contentType,
        ...(continueOnError ? { 'Preference-Applied': 'odata.continue-on-error' } : {}),
      },
      body,
    }
  }
}

/**
 * `ctx` whose callerFor answers from callers resolved before any part runs: one resolution per
 * distinct impersonation header pair of the batch (its failure kept for the parts that ask for
 * it). A change set holds the environment's write lock, and resolving reads the environment,
 * so nothing may be resolved once one has begun.
 */
async function withPartCallers(
  ctx: ApiRequestContext,
  items: readonly BatchItem[],
): Promise<ApiRequestContext> {
  const callerFor = ctx.callerFor
  if (callerFor === undefined) return ctx
  const keyOf = (headers: Readonly<Record<string, string | undefined>>): string =>
    JSON.stringify([headers['callerobjectid'] ?? null, headers['mscrmcallerid'] ?? null])
  const settled = new Map<string, { caller: Caller } | { error: Error }>()
  const operations = items.flatMap((i) => (i.kind === 'operation' ? [i.operation] : i.operations))
  for (const op of operations) {
    const key = keyOf(op.headers)
    if (settled.has(key)) continue
    try {
      settled.set(key, { caller: await callerFor(op.headers) })
    } catch (error) {
      settled.set(key, { error: error instanceof Error ? error : new Error(String(error)) })
    }
  }
  return {
    ...ctx,
    callerFor: (headers) => {
      const found = settled.get(keyOf(headers))
      if (found === undefined) return callerFor(headers)
      return 'caller' in found ? Promise.resolve(found.caller) : Promise.reject(found.error)
    },
  }
}

/** Carries a change set's failed response out of its unit of work, rolling it back. */
class ChangeSetFailed extends Error {
  readonly result: OperationResult
  /** The response size limit was reached: the batch stops. */
  readonly exhausted: boolean
  constructor(result: OperationResult, exhausted = false) {
    super('a request of the change set failed')
    this.result = result
    this.exhausted = exhausted
  }
}

/** The client closed the connection during a change set: rolls it back. */
class ClientGone extends AppError {
  constructor() {
    super('REQUEST_TIMEOUT', 'The client closed the connection; the change set was rolled back.')
  }
}

/**
 * OData 4.0 §8.2.8.3 `odata.continue-on-error` (4.01 also allows it without the prefix and with
 * `=true`/`=false`), among the comma-separated preferences of a Prefer header.
 */
export function prefersContinueOnError(prefer: string | undefined): boolean {
  if (prefer === undefined || prefer.length > 4096) return false
  return prefer.split(',').some((p) => {
    const [name = '', value = 'true'] = p.split('=', 2).map((s) => s.trim().toLowerCase())
    return (name === 'odata.continue-on-error' || name === 'continue-on-error') && value === 'true'
  })
}

/** The entity a response created or addressed, relative to the service root: `accounts(<id>)`. */
function entityPathOf(response: ODataResponse, webApiUrl: string): string | undefined {
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase()
    if ((lower === 'odata-entityid' || lower === 'location') && value.startsWith(webApiUrl)) {
      const path = value.slice(webApiUrl.length)
      if (path !== '' && !/[?#]/.test(path)) return path
    }
  }
  return undefined
}
