import { AppError } from '../../shared/errors.ts'

/** A malformed batch body; `where` names the part ("request 3", "the batch"). */
export const malformed = (where: string, problem: string): AppError =>
  new AppError('BATCH_MALFORMED', `The $batch body is malformed: ${where}: ${problem}.`)

export const tooLarge = (problem: string): AppError =>
  new AppError('BATCH_TOO_LARGE', `The $batch request is too large: ${problem}.`)
