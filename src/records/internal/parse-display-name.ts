import { AppError } from '../../shared/errors.ts'

/** Longest display name (Dataverse labels are at most 100 characters). */
export const DISPLAY_NAME_MAX_LENGTH = 100

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * A display name: 1 to 100 characters, no control characters, trimmed.
 *
 * @throws AppError VALIDATION naming `path`
 */
export function parseDisplayName(value: unknown, path: string): string {
  const text = typeof value === 'string' ? value.trim() : ''
  if (text === '' || text.length > DISPLAY_NAME_MAX_LENGTH || CONTROL.test(text)) {
    throw new AppError('VALIDATION', `The ${path} must be 1 to 100 printable characters.`, {
      details: [{ path, message: 'invalid display name' }],
    })
  }
  return text
}
