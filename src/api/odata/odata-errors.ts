import { AppError } from '../../shared/errors.ts'

/** A name is quoted in a message only when it is short and plainly an identifier. */
const PRINTABLE = /^[A-Za-z_$@][A-Za-z0-9_.@$]{0,127}$/

/** `'name'`, or a neutral phrase for input that should not be echoed (STYLE §6). */
export function quoteName(name: string): string {
  return PRINTABLE.test(name) ? `'${name}'` : 'of that name'
}

/** dataverse-spec §7: unknown resources answer 404 0x80060888. */
export function routeNotFound(segment?: string): AppError {
  return new AppError(
    'ROUTE_NOT_FOUND',
    segment === undefined
      ? 'No resource answers at that URL.'
      : `Resource not found for the segment ${quoteName(segment)}.`,
  )
}

export function methodNotAllowed(method: string, what: string): AppError {
  const m = /^[A-Z]{1,10}$/.test(method) ? method : 'That method'
  return new AppError('METHOD_NOT_ALLOWED', `${m} is not supported on ${what}.`)
}

/** dataverse-spec §7: "<entity> With Id = … Does Not Exist" (0x80040217). */
export function recordNotFound(table: string, id: string): AppError {
  return new AppError('RECORD_NOT_FOUND', `${table} With Id = ${id} Does Not Exist`)
}

/** Rewrites records' RECORD_NOT_FOUND as the Dataverse message; other errors pass through. */
export async function withDataverseNotFound<T>(
  table: string,
  id: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof AppError && e.code === 'RECORD_NOT_FOUND') throw recordNotFound(table, id)
    throw e
  }
}

export function badRequest(message: string): AppError {
  return new AppError('QUERY_INVALID', message)
}

export function unsupported(message: string): AppError {
  return new AppError('QUERY_UNSUPPORTED', message)
}
