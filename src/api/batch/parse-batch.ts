import { IMPERSONATION_HEADERS, withoutImpersonation } from '../impersonation.ts'
import { AppError } from '../../shared/errors.ts'
import type { ApiRequestContext } from '../context.ts'
import { malformed, tooLarge } from './batch-errors.ts'
import type { BatchLimits } from './limits.ts'
import {
  BATCH_METHODS,
  type BatchItem,
  type BatchMethod,
  type BatchOperation,
  type ParsedBatch,
} from './model.ts'
import { parseBoundary } from './parse-boundary.ts'
import { parseHeaders } from './parse-headers.ts'
import { findReferences } from './references.ts'
import { CONTENT_ID, resolveTarget, unknownReference } from './resolve-target.ts'
import { splitMultipart, type MimePart } from './split-multipart.ts'

const REQUEST_LINE = /^([A-Z]{1,16}) (\S+) HTTP\/1\.1$/
const LINE_BREAK = /\r?\n/
/** Inner request headers that never reach the handler: the batch is authenticated as a whole. */
const DROPPED = new Set(['authorization', 'content-id', 'content-length', 'host'])

interface ParseState {
  readonly ctx: Pick<ApiRequestContext, 'environmentUrl' | 'webApiUrl'>
  readonly inherited: Readonly<Record<string, string>>
  readonly limits: BatchLimits
  /** Content-IDs of the whole batch (OData 4.0 §11.7.3: unique within the batch). */
  readonly contentIds: Set<string>
  count: number
}

/**
 * Parses a `multipart/mixed` $batch body (OData 4.0 §11.7, multipart format) into requests and
 * change sets. Line breaks may be CRLF or LF. Every request is checked here, before anything
 * runs: a malformed batch is refused as a whole.
 *
 * @param inherited batch-level headers every request gets unless it sets them itself
 * @throws AppError BATCH_MALFORMED, BATCH_TOO_LARGE, BATCH_URL_REFUSED,
 *   BATCH_REFERENCE_INVALID, QUERY_INVALID, PAYLOAD_TOO_LARGE
 */
export function parseBatch(
  body: string,
  contentType: string | undefined,
  ctx: Pick<ApiRequestContext, 'environmentUrl' | 'webApiUrl'>,
  inherited: Readonly<Record<string, string>>,
  limits: BatchLimits,
): ParsedBatch {
  if (body.length > limits.maxBodyLength) {
    throw new AppError('PAYLOAD_TOO_LARGE', 'The $batch body is larger than the limit.')
  }
  const boundary = parseBoundary(contentType, 'the batch')
  const state: ParseState = { ctx, inherited, limits, contentIds: new Set(), count: 0 }
  const parts = splitMultipart(body.split(LINE_BREAK), boundary, {
    where: 'the batch',
    maxParts: limits.maxOperations,
    tooMany: () => tooManyRequests(limits),
    limits,
  })
  const items: BatchItem[] = parts.map((part, i) => {
    const where = `part ${String(i + 1)} of the batch`
    const type = part.headers.get('content-type') ?? ''
    if (/^multipart\//i.test(type)) {
      return { kind: 'changeset', operations: parseChangeSet(part, where, state) }
    }
    return { kind: 'operation', operation: parseOperation(part, where, state, undefined) }
  })
  return { items, operationCount: state.count }
}

function parseChangeSet(part: MimePart, where: string, state: ParseState): BatchOperation[] {
  const boundary = parseBoundary(part.headers.get('content-type'), `the change set in ${where}`)
  const members = splitMultipart(part.lines, boundary, {
    where: `the change set in ${where}`,
    maxParts: Math.max(0, state.limits.maxOperations - state.count),
    tooMany: () => tooManyRequests(state.limits),
    limits: state.limits,
  })
  const declared = new Set<string>()
  return members.map((member, i) => {
    const inner = `request ${String(i + 1)} of the change set in ${where}`
    if (/^multipart\//i.test(member.headers.get('content-type') ?? '')) {
      throw malformed(inner, 'a change set may not contain another change set')
    }
    return parseOperation(member, inner, state, declared)
  })
}

/** @param declared the change set's Content-IDs so far; undefined outside a change set */
function parseOperation(
  part: MimePart,
  where: string,
  state: ParseState,
  declared: Set<string> | undefined,
): BatchOperation {
  const { limits } = state
  state.count += 1
  if (state.count > limits.maxOperations) throw tooManyRequests(limits)
  const type = mediaType(part.headers.get('content-type'))
  if (type !== 'application/http') {
    throw malformed(where, 'a request part must have Content-Type: application/http')
  }
  const encoding = part.headers.get('content-transfer-encoding')
  if (encoding !== undefined && encoding.toLowerCase() !== 'binary') {
    throw malformed(where, 'Content-Transfer-Encoding must be binary')
  }
  const lines = part.lines
  let i = 0
  while (i < lines.length && lines[i] === '') i += 1
  const requestLine = lines[i] ?? ''
  if (requestLine.length > limits.maxUrlLength + 32) {
    throw tooLarge(`the URL of ${where} is longer than ${String(limits.maxUrlLength)} characters`)
  }
  const m = REQUEST_LINE.exec(requestLine)
  const method = m?.[1]
  const rawTarget = m?.[2]
  if (method === undefined || rawTarget === undefined) {
    throw malformed(where, 'the request line must be "<METHOD> <URL> HTTP/1.1"')
  }
  if (!isBatchMethod(method)) {
    throw malformed(where, `the method ${method} is not supported (${BATCH_METHODS.join(', ')})`)
  }
  if (declared !== undefined && method === 'GET') {
    throw malformed(where, 'a change set may not contain GET requests')
  }
  if (rawTarget.length > limits.maxUrlLength) {
    throw tooLarge(`the URL of ${where} is longer than ${String(limits.maxUrlLength)} characters`)
  }
  const parsed = parseHeaders(lines, i + 1, { where, repeated: 'join', limits })
  const contentId = part.headers.get('content-id') ?? parsed.headers.get('content-id')
  if (contentId !== undefined) {
    if (!CONTENT_ID.test(contentId)) {
      throw new AppError(
        'BATCH_REFERENCE_INVALID',
        `${where}: a Content-ID is 1 to 64 letters, digits, '-' or '_'.`,
      )
    }
    if (state.contentIds.has(contentId)) {
      throw new AppError(
        'BATCH_REFERENCE_INVALID',
        `${where}: the Content-ID '${contentId}' is used twice in the batch.`,
      )
    }
    state.contentIds.add(contentId)
  }
  const isDeclared = (id: string): boolean => declared?.has(id) === true
  const { target, query } = resolveTarget(rawTarget, state.ctx, where, isDeclared)
  const body = parseBody(lines.slice(parsed.next), method, parsed.headers, where)
  for (const id of findReferences(body, limits.maxJsonDepth, where)) {
    if (!isDeclared(id)) throw unknownReference(id)
  }
  if (contentId !== undefined) declared?.add(contentId)
  // A part that names its own user to impersonate replaces the batch's choice entirely (it
  // may use the other header than the batch did).
  const ownImpersonation = [...parsed.headers.keys()].some((n) =>
    Object.hasOwn(IMPERSONATION_HEADERS, n),
  )
  const headers: Record<string, string> = ownImpersonation
    ? withoutImpersonation(state.inherited)
    : { ...state.inherited }
  for (const [name, value] of parsed.headers) if (!DROPPED.has(name)) headers[name] = value
  return {
    index: state.count,
    ...(contentId === undefined ? {} : { contentId }),
    method,
    target,
    query,
    headers,
    body,
  }
}

function parseBody(
  lines: readonly string[],
  method: BatchMethod,
  headers: ReadonlyMap<string, string>,
  where: string,
): unknown {
  const text = lines.join('\n').trim()
  if (text === '') return undefined
  if (method === 'GET' || method === 'DELETE') {
    throw malformed(where, `a ${method} request has no body`)
  }
  const type = headers.get('content-type')
  if (type !== undefined && mediaType(type) !== 'application/json') {
    throw malformed(where, 'a request body must be application/json')
  }
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new AppError(
      'BATCH_MALFORMED',
      `The $batch body is malformed: ${where}: the body is not valid JSON.`,
      {
        cause: e,
      },
    )
  }
}

const mediaType = (value: string | undefined): string =>
  (value ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''

const isBatchMethod = (method: string): method is BatchMethod =>
  (BATCH_METHODS as readonly string[]).includes(method)

const tooManyRequests = (limits: BatchLimits): AppError =>
  tooLarge(`it has more than ${limits.maxOperations.toLocaleString('en-US')} requests`)
