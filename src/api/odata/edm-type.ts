import { dateTimeFormat } from '../../query/index.ts'
import type { ColumnDef } from '../../records/index.ts'

/** The Edm type of a column's value (a lookup's `_x_value` is an Edm.Guid). */
export function edmType(column: ColumnDef): string {
  switch (column.type) {
    case 'string':
    case 'memo':
    case 'choices':
      return 'Edm.String'
    case 'wholenumber':
    case 'choice':
      return 'Edm.Int32'
    case 'bigint':
      return 'Edm.Int64'
    case 'decimal':
    case 'currency':
      return 'Edm.Decimal'
    case 'float':
      return 'Edm.Double'
    case 'boolean':
      return 'Edm.Boolean'
    case 'datetime':
      return dateTimeFormat(column) === 'dateonly' ? 'Edm.Date' : 'Edm.DateTimeOffset'
    case 'lookup':
    case 'uniqueidentifier':
      return 'Edm.Guid'
  }
}

/** The property name of a column in payloads: `_<lookup>_value` for lookups. */
export const propertyName = (column: ColumnDef): string =>
  column.type === 'lookup' ? `_${column.name}_value` : column.name

/** Dataverse AttributeType and AttributeTypeName of a column (EntityDefinitions/Attributes). */
export function attributeType(column: ColumnDef): { type: string; typeName: string } {
  switch (column.type) {
    case 'string':
      return { type: 'String', typeName: 'StringType' }
    case 'memo':
      return { type: 'Memo', typeName: 'MemoType' }
    case 'wholenumber':
      return { type: 'Integer', typeName: 'IntegerType' }
    case 'bigint':
      return { type: 'BigInt', typeName: 'BigIntType' }
    case 'decimal':
      return { type: 'Decimal', typeName: 'DecimalType' }
    case 'float':
      return { type: 'Double', typeName: 'DoubleType' }
    case 'currency':
      return { type: 'Money', typeName: 'MoneyType' }
    case 'boolean':
      return { type: 'Boolean', typeName: 'BooleanType' }
    case 'datetime':
      return { type: 'DateTime', typeName: 'DateTimeType' }
    case 'choice':
      if (column.name === 'statecode') return { type: 'State', typeName: 'StateType' }
      if (column.name === 'statuscode') return { type: 'Status', typeName: 'StatusType' }
      return { type: 'Picklist', typeName: 'PicklistType' }
    case 'choices':
      // Dataverse reports multi-select choices as Virtual with this type name.
      return { type: 'Virtual', typeName: 'MultiSelectPicklistType' }
    case 'lookup':
      if (column.name === 'ownerid') return { type: 'Owner', typeName: 'OwnerType' }
      if ((column.options.targets?.length ?? 0) > 1) {
        return { type: 'Customer', typeName: 'CustomerType' }
      }
      return { type: 'Lookup', typeName: 'LookupType' }
    case 'uniqueidentifier':
      return { type: 'Uniqueidentifier', typeName: 'UniqueidentifierType' }
  }
}
