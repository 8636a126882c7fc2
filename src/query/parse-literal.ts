import type { Literal } from './filter-ast.ts'
import { queryError } from './query-error.ts'
import { tokenizeFilter } from './tokenize-filter.ts'

/**
 * Parses one OData literal ('text' with '' escapes, numbers, true/false/null, unquoted GUIDs,
 * dates and date-times) into a typed Literal, e.g. for alternate-key segments
 * (`accounts(accountnumber='A1')`). Pair it with toStorageValue to get the stored form.
 *
 * @param option what the text is, for error messages (e.g. 'key')
 * @throws AppError QUERY_INVALID when the text is not exactly one literal
 */
export function parseLiteral(text: string, option: string): Literal {
  const tokens = tokenizeFilter(text, option)
  const [token, end] = tokens
  if (token === undefined || end?.kind !== 'end') {
    const offset = end?.offset ?? 0
    throw queryError('QUERY_INVALID', 'Expected a single literal', { option, text, offset })
  }
  switch (token.kind) {
    case 'string':
      return { kind: 'string', value: token.value }
    case 'number':
      return { kind: 'number', text: token.value }
    case 'guid':
    case 'date':
    case 'datetime':
      return { kind: token.kind, value: token.value }
    case 'identifier':
      if (token.value === 'true' || token.value === 'false') {
        return { kind: 'boolean', value: token.value === 'true' }
      }
      if (token.value === 'null') return { kind: 'null' }
      break
    case 'lparen':
    case 'rparen':
    case 'comma':
    case 'slash':
    case 'colon':
    case 'equals':
    case 'lbracket':
    case 'rbracket':
    case 'alias':
    case 'end':
      break
  }
  throw queryError('QUERY_INVALID', 'Expected a literal', { option, text, offset: token.offset })
}
