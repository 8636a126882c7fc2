import { AppError } from './errors.ts'

/**
 * Tenant, environment, region and key names appear in URLs and CLI output, never in file paths
 * (files are named by id). They are lower-case slugs so that no path or URL character can
 * reach anything below.
 */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

export function parseSlug(value: string, what: string): string {
  if (!SLUG.test(value)) {
    throw new AppError(
      'NAME_INVALID',
      `The ${what} must be 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit.`,
      { details: [{ path: what, message: 'invalid name' }] },
    )
  }
  return value
}

/**
 * Dataverse logical names: lower-case letter first, then letters, digits and underscores.
 * They become SQL identifiers, so this check is a security boundary as well as a naming rule.
 */
const LOGICAL = /^[a-z][a-z0-9_]{0,49}$/

export function parseLogicalName(value: string, what: string): string {
  if (!LOGICAL.test(value) || value.startsWith('sqlite')) {
    throw new AppError(
      'NAME_INVALID',
      `The ${what} must be 1 to 50 characters of a-z, 0-9 and '_', starting with a letter.`,
      { details: [{ path: what, message: 'invalid logical name' }] },
    )
  }
  return value
}
