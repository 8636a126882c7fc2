import { AppError, type ErrorCode } from '../shared/errors.ts'

/** How much of the input an error message may quote. */
const SNIPPET_LENGTH = 20

/** Where in which option a problem was found. */
export interface QueryErrorSource {
  /** The option or alias name, e.g. '$filter' or '@p1'. */
  readonly option: string
  /** The option text. Only a short, sanitised snippet of it ever reaches the message. */
  readonly text: string
  /** Zero-based character offset; reported one-based. */
  readonly offset: number
}

/**
 * Builds the AppError for a query problem. The message names the option and the one-based
 * position, and quotes at most SNIPPET_LENGTH characters of input with control and
 * non-ASCII characters replaced (STYLE §6: messages don't echo input at length).
 */
export function queryError(
  code: ErrorCode,
  message: string,
  source?: QueryErrorSource,
  cause?: unknown,
): AppError {
  if (source === undefined) return new AppError(code, message, { cause })
  const position = source.offset + 1
  const near = source.text.slice(source.offset, source.offset + SNIPPET_LENGTH)
  const safe = near.replace(/[^\x20-\x7e]/g, '?')
  const where =
    safe === ''
      ? `at position ${position} (end of input)`
      : `at position ${position} near '${safe}'`
  return new AppError(code, `${message} in ${source.option} ${where}.`, {
    details: [{ path: source.option, message: `position ${position}` }],
    cause,
  })
}
