import { AppError, toAppError } from '../shared/errors.ts'

export interface ErrorResponse {
  readonly status: number
  readonly body: { error: { code: string; message: string } }
}

/**
 * The one decision about what a client sees of a failure (STYLE "one central decision").
 * AppErrors answer with their HTTP status and the Dataverse wire code (dataverse-spec §7
 * Errors); anything else is a generic 500 that names the request id, so the operator can
 * find the detail in the log. No stack, SQL, path or cause ever leaves the server.
 */
export function toErrorResponse(e: unknown, requestId: string): ErrorResponse {
  const error = toAppError(e)
  if (error.code === 'INTERNAL') {
    return {
      status: 500,
      body: {
        error: {
          code: error.spec.wire,
          message: `An unexpected error occurred. Request id: ${requestId}.`,
        },
      },
    }
  }
  return {
    status: error.spec.http,
    body: { error: { code: error.spec.wire, message: error.message } },
  }
}

/** Fastify's own errors (body too large, bad JSON, unsupported media type) as AppErrors. */
export function fromFrameworkError(e: unknown): AppError | undefined {
  const code = (e as { code?: unknown }).code
  const status = (e as { statusCode?: unknown }).statusCode
  if (typeof code !== 'string' || typeof status !== 'number' || status >= 500) return undefined
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than the limit.')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type.')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('VALIDATION', 'The request body is empty or malformed.')
    default:
      // JSON syntax errors and prototype-poisoning attempts arrive as 400s without a code
      // we need to distinguish: a generic validation error says enough.
      return new AppError('VALIDATION', 'The request is malformed.')
  }
}
