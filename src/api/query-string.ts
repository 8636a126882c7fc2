import { AppError } from '../shared/errors.ts'

/**
 * Parses a query string the OData way: `+` is a literal plus (only %20 is a space), every
 * name appears once, and names and values are percent-decoded strictly.
 */
export function parseQueryString(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  if (text === '') return out
  for (const part of text.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawName = eq < 0 ? part : part.slice(0, eq)
    const rawValue = eq < 0 ? '' : part.slice(eq + 1)
    let name: string
    let value: string
    try {
      name = decodeURIComponent(rawName)
      value = decodeURIComponent(rawValue)
    } catch {
      throw new AppError('QUERY_INVALID', 'The query string has an invalid percent-encoding.')
    }
    if (name in out) {
      throw new AppError('QUERY_INVALID', `The query option '${name.slice(0, 40)}' is given twice.`)
    }
    out[name] = value
  }
  return out
}
