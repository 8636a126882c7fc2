import type { TableDef } from '../model.ts'

/**
 * SQL text compiled once per table definition and shape (e.g. the selected columns), held by
 * one records service. Keyed weakly by the TableDef object, which a catalog reload replaces,
 * so a changed table never reuses a statement of its old definition.
 */
export class StatementCache {
  readonly #byTable = new WeakMap<TableDef, Map<string, string>>()
  readonly #perTable: number

  constructor(perTable = 64) {
    this.#perTable = perTable
  }

  get(table: TableDef, shape: string, compile: () => string): string {
    let shapes = this.#byTable.get(table)
    if (shapes === undefined) {
      shapes = new Map()
      this.#byTable.set(table, shapes)
    }
    let text = shapes.get(shape)
    if (text === undefined) {
      text = compile()
      // Shapes come from clients' $select lists: bounded, oldest first out.
      if (shapes.size >= this.#perTable) shapes.delete(shapes.keys().next().value ?? '')
      shapes.set(shape, text)
    }
    return text
  }
}
