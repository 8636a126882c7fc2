import type { Random } from '../../shared/random.ts'
import type { ItemResult, OperationResult } from './model.ts'

const CRLF = '\r\n'
const JSON_TYPE = 'application/json; odata.metadata=minimal; charset=utf-8'
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// eslint-disable-next-line no-control-regex -- header values must not break the part apart
const LINE_BREAKS = /[\r\n\x00]/g

// RFC 9110 §15 reason phrases. Only letters and spaces: DynamicsWebApi reads the status line
// with /HTTP\/?\s*[\d.]*\s+(\d{3})\s+([\w\s]*)$/m.
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  423: 'Locked',
  424: 'Failed Dependency',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
}

/** The serialised batch response: its Content-Type (with the boundary) and body. */
export interface SerializedBatch {
  readonly contentType: string
  readonly body: string
}

/**
 * Writes a batch response (OData 4.0 §11.7.4, multipart format) the way Dataverse does and
 * DynamicsWebApi parses it: `--batchresponse_<uuid>` parts, each `application/http` with
 * `HTTP/1.1 <status> <reason>`, headers (OData-Version, Content-Type, OData-EntityId, …), an
 * empty line and the body; a successful change set as one `multipart/mixed` part with
 * `changesetresponse_<uuid>` parts that echo each request's Content-ID; a failed change set as
 * the single error response of the request that failed. Lines end with CRLF.
 */
export function serializeBatch(results: readonly ItemResult[], random: Random): SerializedBatch {
  const bodies = results.flatMap((r) =>
    r.kind === 'changeset' ? r.results.map(bodyText) : [bodyText(r.result)],
  )
  // A boundary must not occur in the content (RFC 2046 §5.1.1); a random UUID all but never
  // does, and this makes sure.
  const fresh = (prefix: string): string => {
    for (;;) {
      const boundary = `${prefix}_${random.uuid()}`
      if (!bodies.some((b) => b?.includes(boundary) === true)) return boundary
    }
  }
  const batch = fresh('batchresponse')
  const lines: string[] = []
  for (const item of results) {
    lines.push(`--${batch}`)
    if (item.kind !== 'changeset') {
      writeHttpPart(lines, item.result)
      continue
    }
    const changeset = fresh('changesetresponse')
    lines.push(`Content-Type: multipart/mixed; boundary=${changeset}`, '')
    for (const result of item.results) {
      lines.push(`--${changeset}`)
      writeHttpPart(lines, result)
    }
    lines.push(`--${changeset}--`)
  }
  lines.push(`--${batch}--`, '')
  return { contentType: `multipart/mixed; boundary=${batch}`, body: lines.join(CRLF) }
}

function writeHttpPart(lines: string[], result: OperationResult): void {
  const { response, contentId } = result
  lines.push('Content-Type: application/http', 'Content-Transfer-Encoding: binary')
  if (contentId !== undefined) lines.push(`Content-ID: ${contentId}`)
  lines.push('', `HTTP/1.1 ${String(response.status)} ${REASONS[response.status] ?? 'Unknown'}`)
  const headers = new Map<string, [string, string]>()
  const set = (name: string, value: string): void => {
    if (TOKEN.test(name)) headers.set(name.toLowerCase(), [name, value.replace(LINE_BREAKS, ' ')])
  }
  set('OData-Version', '4.0')
  for (const [name, value] of Object.entries(response.headers)) set(name, value)
  const body = bodyText(result)
  if (body !== undefined && typeof response.body !== 'string' && !headers.has('content-type')) {
    set('Content-Type', JSON_TYPE)
  }
  for (const [name, value] of headers.values()) lines.push(`${name}: ${value}`)
  lines.push('', body ?? '')
}

/**
 * The result with its body already serialised (a JSON body becomes its text, with the JSON
 * Content-Type it would get), and the UTF-8 size it adds to the batch response. The batch
 * handler measures each result this way as it goes, so the response size is bounded before
 * the response is built, and no body is stringified twice.
 */
export function settleResult(result: OperationResult): {
  readonly result: OperationResult
  readonly bytes: number
} {
  const { response } = result
  const text = bodyText(result)
  let headerBytes = 256 // part headers, status line, boundaries
  for (const [name, value] of Object.entries(response.headers)) {
    headerBytes += name.length + value.length + 4
  }
  const bytes = headerBytes + (text === undefined ? 0 : Buffer.byteLength(text))
  if (text === undefined || typeof response.body === 'string') return { result, bytes }
  const typed = Object.keys(response.headers).some((h) => h.toLowerCase() === 'content-type')
  return {
    result: {
      ...result,
      response: {
        ...response,
        headers: typed ? response.headers : { ...response.headers, 'Content-Type': JSON_TYPE },
        body: text,
      },
    },
    bytes,
  }
}

function bodyText(result: OperationResult): string | undefined {
  const body = result.response.body
  if (body === undefined || typeof body === 'string') return body
  // JSON.stringify answers undefined for a function or symbol, whatever its declared type says.
  const text: string | undefined = JSON.stringify(body)
  return text
}
