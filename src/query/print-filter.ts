import type { FilterNode, Operand } from './filter-ast.ts'

/** Prints one operand in OData literal syntax. */
export function printOperand(operand: Operand): string {
  switch (operand.kind) {
    case 'property':
      return operand.lookupValue ? `_${operand.column}_value` : operand.column
    case 'string':
      return `'${operand.value.replaceAll("'", "''")}'`
    case 'number':
      return operand.text
    case 'boolean':
      return operand.value ? 'true' : 'false'
    case 'null':
      return 'null'
    case 'guid':
    case 'date':
    case 'datetime':
      return operand.value
  }
}

/**
 * Prints a FilterNode as $filter text that parses back to an equal node (used for
 * `@odata.nextLink` and diagnostics). Parentheses are added only where the structure needs
 * them; `not` always wraps its operand in parentheses.
 */
export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'compare':
      return `${printOperand(node.left)} ${node.operator} ${printOperand(node.right)}`
    case 'function':
      return `${node.name}(${printOperand(node.property)},${printOperand(node.value)})`
    case 'not':
      return `not (${printFilter(node.operand)})`
    case 'and':
      return `${group(node.left, node.left.kind === 'or')} and ${group(node.right, node.right.kind === 'or' || node.right.kind === 'and')}`
    case 'or':
      return `${printFilter(node.left)} or ${group(node.right, node.right.kind === 'or')}`
  }
}

const group = (node: FilterNode, needed: boolean): string =>
  needed ? `(${printFilter(node)})` : printFilter(node)
