import { AppError } from '../../shared/errors.ts'

/** RECORD_INVALID for one column. The message never contains the rejected value. */
export function recordInvalid(column: string, message: string): AppError {
  return new AppError('RECORD_INVALID', `Column '${column}': ${message}.`, {
    details: [{ path: column, message }],
  })
}
