import type { ChoiceOption, ColumnDef, ColumnOptions, ColumnType } from '../model.ts'

/** Terse ColumnDef constructors for the built-in tables and system columns. */
export function column(
  name: string,
  type: ColumnType,
  displayName: string,
  options: ColumnOptions = {},
  extra: { required?: boolean; system?: boolean; primary?: 'id' | 'name' } = {},
): ColumnDef {
  return {
    name,
    type,
    displayName,
    required: extra.required ?? false,
    system: extra.system ?? false,
    ...(extra.primary === undefined ? {} : { primary: extra.primary }),
    options,
  }
}

export const stringColumn = (name: string, displayName: string, maxLength: number): ColumnDef =>
  column(name, 'string', displayName, { maxLength })

export const choiceOptions = (labels: Readonly<Record<number, string>>): ChoiceOption[] =>
  Object.entries(labels).map(([value, label]) => ({ value: Number(value), label }))

/** Status reason options of the standard statecode/statuscode pair. */
export const STATUS_OPTIONS: readonly ChoiceOption[] = [
  { value: 1, label: 'Active', state: 0 },
  { value: 2, label: 'Inactive', state: 1 },
]
export const STATE_OPTIONS: readonly ChoiceOption[] = [
  { value: 0, label: 'Active' },
  { value: 1, label: 'Inactive' },
]
