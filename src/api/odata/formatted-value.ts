import { precisionOf, type ColumnDef, type RecordValue } from '../../records/index.ts'

/** One number format per precision 0-10, built once (formatting is stateless). */
const NUMBER_FORMATS: readonly Intl.NumberFormat[] = Array.from(
  { length: 11 },
  (_, digits) =>
    new Intl.NumberFormat('en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }),
)

const pad = (n: number): string => String(n).padStart(2, '0')

/**
 * The display text of a value (dataverse-spec §7: `@OData.Community.Display.V1.FormattedValue`):
 * choice labels, Yes/No, grouped numbers at the column's precision, US-style dates in UTC.
 * Money has no currency symbol (there is no currency table yet). Undefined when Dataverse
 * gives none (text, GUIDs) or the value is null.
 */
export function formattedValue(column: ColumnDef, value: RecordValue): string | undefined {
  if (value === null) return undefined
  switch (column.type) {
    case 'choice':
      return column.options.choices?.find((c) => c.value === value)?.label
    case 'choices': {
      if (typeof value !== 'string') return undefined
      const labels = value
        .split(',')
        .map((v) => column.options.choices?.find((c) => c.value === Number(v))?.label)
      return labels.every((l) => l !== undefined) ? labels.join('; ') : undefined
    }
    case 'boolean':
      return value === true ? 'Yes' : 'No'
    case 'wholenumber':
    case 'bigint':
      return typeof value === 'number' ? NUMBER_FORMATS[0]?.format(value) : String(value)
    case 'decimal':
    case 'currency':
    case 'float':
      return typeof value === 'number'
        ? NUMBER_FORMATS[Math.min(precisionOf(column), 10)]?.format(value)
        : undefined
    case 'datetime':
      return typeof value === 'string' ? formatDate(value) : undefined
    case 'string':
    case 'memo':
    case 'lookup':
    case 'uniqueidentifier':
      return undefined
  }
}

/** 'YYYY-MM-DD' → '1/2/2024'; 'YYYY-MM-DDTHH:MM:SSZ' → '1/2/2024 3:04 PM' (UTC). */
function formatDate(text: string): string {
  const date = `${Number(text.slice(5, 7))}/${Number(text.slice(8, 10))}/${text.slice(0, 4)}`
  if (text.length <= 10) return date
  const hours = Number(text.slice(11, 13))
  const minutes = Number(text.slice(14, 16))
  const h12 = hours % 12 === 0 ? 12 : hours % 12
  return `${date} ${h12}:${pad(minutes)} ${hours < 12 ? 'AM' : 'PM'}`
}
