import { tooLarge } from './batch-errors.ts'

const VALUE_REFERENCE = /^\$([A-Za-z0-9_-]{1,64})(?=$|\/)/

/** JSON properties whose values are entity URLs: `<nav>@odata.bind` and `@odata.id`. */
const isUrlProperty = (key: string): boolean => key === '@odata.id' || key.endsWith('@odata.bind')

/**
 * The Content-IDs a JSON request body references as `$<id>[/…]` in `@odata.bind` (a string or
 * an array of strings) and `@odata.id` values, at any depth up to `maxDepth`.
 *
 * @throws AppError BATCH_TOO_LARGE when the body is nested deeper than maxDepth
 */
export function findReferences(body: unknown, maxDepth: number, where: string): string[] {
  const found: string[] = []
  const visit = (value: unknown, depth: number): void => {
    if (depth > maxDepth) {
      throw tooLarge(`the body of ${where} is nested deeper than ${String(maxDepth)} levels`)
    }
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1)
      return
    }
    if (value === null || typeof value !== 'object') return
    for (const [key, v] of Object.entries(value)) {
      if (!isUrlProperty(key)) {
        visit(v, depth + 1)
        continue
      }
      for (const s of Array.isArray(v) ? (v as unknown[]) : [v]) {
        const id = typeof s === 'string' ? VALUE_REFERENCE.exec(s)?.[1] : undefined
        if (id !== undefined) found.push(id)
      }
    }
  }
  visit(body, 0)
  return found
}

/**
 * A copy of `body` with every `$<id>[/…]` URL value (see findReferences) replaced by
 * `/<entity path>[/…]`, the service-root-relative URL Dataverse documents for `@odata.bind`.
 * The body was depth-checked by findReferences when the batch was parsed.
 *
 * @param entityPath the entity an earlier request created, e.g. `accounts(<id>)`; throws for an
 *   id that created none
 */
export function replaceReferences(body: unknown, entityPath: (id: string) => string): unknown {
  const replace = (s: unknown): unknown => {
    if (typeof s !== 'string') return s
    const m = VALUE_REFERENCE.exec(s)
    const id = m?.[1]
    return m === null || id === undefined ? s : `/${entityPath(id)}${s.slice(m[0].length)}`
  }
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy)
    if (value === null || typeof value !== 'object') return value
    // fromEntries defines own properties, so a "__proto__" key stays a plain key.
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        !isUrlProperty(key) ? copy(v) : Array.isArray(v) ? v.map(replace) : replace(v),
      ]),
    )
  }
  return copy(body)
}
