import { AppError } from '../../shared/errors.ts'
import type { ApiRequestContext } from '../context.ts'
import { parseQueryString } from '../query-string.ts'
import { malformed } from './batch-errors.ts'
import type { BatchTarget } from './model.ts'

/** A Content-ID: what `$<id>` references can name. */
export const CONTENT_ID = /^[A-Za-z0-9_-]{1,64}$/
const REFERENCE = /^\$([A-Za-z0-9_-]{1,64})(?=$|[/?])/
/** OData resources whose names start with `$`; they are paths, not Content-ID references. */
const SYSTEM_RESOURCES = new Set(['metadata', 'batch', 'entity', 'crossjoin', 'all', 'root'])
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/

/** What the request line of a batch part addresses. */
export interface ResolvedTarget {
  readonly target: BatchTarget
  readonly query: Readonly<Record<string, string>>
}

/**
 * Maps a request-target of a batch part to a path under the environment's Web API. Accepted:
 * an absolute URL under `ctx.webApiUrl`; an absolute path under it, or `/api/data/<version>/…`
 * (the Dataverse form, taken as this environment's); a path relative to the service root; and
 * `$<contentId>[/…]` naming a request declared earlier in the same change set. Anything else —
 * another host, scheme, tenant, environment or API version, credentials, a fragment — is
 * refused, so a batch can only ever address its own environment.
 *
 * @param declared whether a Content-ID was declared earlier in the same change set
 * @throws AppError BATCH_URL_REFUSED, BATCH_REFERENCE_INVALID, BATCH_MALFORMED, QUERY_INVALID
 */
export function resolveTarget(
  raw: string,
  ctx: Pick<ApiRequestContext, 'environmentUrl' | 'webApiUrl'>,
  where: string,
  declared: (contentId: string) => boolean,
): ResolvedTarget {
  if (raw.startsWith('$')) {
    const m = REFERENCE.exec(raw)
    const id = m?.[1]
    if (m !== null && id !== undefined && declared(id)) {
      const rest = raw.slice(m[0].length)
      const q = rest.indexOf('?')
      const path = q < 0 ? rest : rest.slice(0, q)
      if (path.includes('#') || DOT_SEGMENT.test(path)) {
        throw malformed(where, 'the URL after the Content-ID reference is not a plain path')
      }
      return {
        target: { kind: 'reference', contentId: id, rest: path },
        query: parseQueryString(q < 0 ? '' : rest.slice(q + 1)),
      }
    }
    if (id !== undefined && !SYSTEM_RESOURCES.has(id)) throw unknownReference(id)
  }
  const webApi = new URL(ctx.webApiUrl)
  let url: URL
  try {
    url = raw.startsWith('/api/data/')
      ? new URL(`.${raw}`, ctx.environmentUrl)
      : new URL(raw, ctx.webApiUrl)
  } catch (e) {
    throw new AppError('BATCH_URL_REFUSED', `${where}: the request URL is not a valid URL.`, {
      cause: e,
    })
  }
  if (
    url.origin !== webApi.origin ||
    url.username !== '' ||
    url.password !== '' ||
    url.hash !== '' ||
    raw.includes('#') ||
    !url.pathname.startsWith(webApi.pathname)
  ) {
    throw new AppError(
      'BATCH_URL_REFUSED',
      `${where}: the request URL is not under this environment's Web API URL (${ctx.webApiUrl}).`,
    )
  }
  const path = url.pathname.slice(webApi.pathname.length)
  if (path === '$batch') throw malformed(where, 'a batch may not contain another batch')
  return {
    target: { kind: 'path', path },
    query: parseQueryString(url.search.startsWith('?') ? url.search.slice(1) : ''),
  }
}

/** Dataverse's words for it: "Content-ID Reference: '$1' does not exist in the batch context." */
export const unknownReference = (id: string): AppError =>
  new AppError(
    'BATCH_REFERENCE_INVALID',
    `Content-ID Reference: '$${id}' does not exist in the batch context: a reference names a Content-ID declared earlier in the same change set.`,
  )
