import type { ColumnDef, KeyDef, TableDef } from '../../records/index.ts'
import { maxLengthOf, precisionOf, securedRefusal, standardTables } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { ODataResponse } from '../context.ts'
import { attributeType } from './edm-type.ts'
import { attributeMetadataId, entityMetadataId, keyMetadataId } from './metadata-id.ts'
import {
  badRequest,
  methodNotAllowed,
  quoteName,
  routeNotFound,
  unsupported,
} from './odata-errors.ts'
import type { Operation } from './operation.ts'
import type { PathSegment } from './parse-path.ts'
import { parseKeyText } from './parse-key.ts'

/** Logical names of the tables every environment starts with (not custom). */
const STANDARD_TABLES: ReadonlySet<string> = new Set(standardTables().map((t) => t.name))
const SELECT_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/
const MAX_SELECT = 100
/** AttributeType → the AttributeMetadata derived type Dataverse returns it as. */
const METADATA_TYPE: Readonly<Record<string, string>> = {
  Virtual: 'MultiSelectPicklist',
  Owner: 'Lookup',
  Customer: 'Lookup',
  Uniqueidentifier: 'UniqueIdentifier',
}
const CREATABLE_SYSTEM = new Set(['statecode', 'statuscode', 'ownerid'])
const UPDATABLE_SYSTEM = new Set(['statecode', 'statuscode'])

const label = (text: string) => {
  const localized = { Label: text, LanguageCode: 1033 }
  return { LocalizedLabels: [localized], UserLocalizedLabel: localized }
}

function entityMetadata(table: TableDef): Record<string, unknown> {
  return {
    MetadataId: entityMetadataId(table.name),
    LogicalName: table.name,
    SchemaName: table.name,
    EntitySetName: table.entitySetName,
    LogicalCollectionName: table.entitySetName,
    PrimaryIdAttribute: table.primaryIdColumn,
    PrimaryNameAttribute: table.primaryNameColumn,
    OwnershipType: table.ownership === 'user' ? 'UserOwned' : 'OrganizationOwned',
    IsCustomEntity: !STANDARD_TABLES.has(table.name),
    IsActivity: false,
    IsIntersect: table.name === 'systemuserroles',
    DisplayName: label(table.displayName),
  }
}

function requiredLevel(column: ColumnDef): string {
  if (!column.required) return 'None'
  return column.system ? 'SystemRequired' : 'ApplicationRequired'
}

function attributeMetadata(table: TableDef, column: ColumnDef): Record<string, unknown> {
  const { type, typeName } = attributeType(column)
  const meta: Record<string, unknown> = {
    '@odata.type': `#Microsoft.Dynamics.CRM.${METADATA_TYPE[type] ?? type}AttributeMetadata`,
    MetadataId: attributeMetadataId(table.name, column.name),
    LogicalName: column.name,
    SchemaName: column.name,
    EntityLogicalName: table.name,
    AttributeType: type,
    AttributeTypeName: { Value: typeName },
    IsPrimaryId: column.primary === 'id',
    IsPrimaryName: column.primary === 'name',
    IsCustomAttribute: !column.system && !STANDARD_TABLES.has(table.name),
    IsValidForCreate:
      !column.system || column.primary === 'id' || CREATABLE_SYSTEM.has(column.name),
    IsValidForUpdate: !column.system || UPDATABLE_SYSTEM.has(column.name),
    RequiredLevel: {
      Value: requiredLevel(column),
      CanBeChanged: !column.system,
      ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
    },
    DisplayName: label(column.displayName),
    // Column (field) security, docs/authz.md §12.
    IsSecured: column.options.secured === true,
    ...canBeSecured(table, column),
  }
  if (column.type === 'string' || column.type === 'memo') meta['MaxLength'] = maxLengthOf(column)
  if (column.type === 'decimal' || column.type === 'currency' || column.type === 'float') {
    meta['Precision'] = precisionOf(column)
  }
  if (column.type === 'datetime') {
    meta['Format'] = column.options.format === 'dateonly' ? 'DateOnly' : 'DateAndTime'
  }
  if (column.type === 'lookup') meta['Targets'] = [...(column.options.targets ?? [])]
  if (column.options.encrypted === true) {
    // Strongroom's own instance annotations, not Dataverse's IsSecured (that is field-level
    // security, a different feature): cell-level encryption, docs/keys.md. Not in $metadata.
    meta['@Strongroom.Encrypted'] = true
    meta['@Strongroom.BlindIndex'] = column.options.blindIndex === true
  }
  return meta
}

/** Dataverse CanBeSecuredForCreate/Read/Update: all false for a column that can't be secured. */
function canBeSecured(table: TableDef, column: ColumnDef): Record<string, boolean> {
  const can = securedRefusal(table, column) === undefined
  return { CanBeSecuredForCreate: can, CanBeSecuredForRead: can, CanBeSecuredForUpdate: can }
}

/**
 * Dataverse EntityKeyMetadata. KeyAttributes are logical names; a lookup column is named by
 * its logical name here too (the URL form `_<col>_value` is for addressing records). The
 * index is created synchronously, so the status is always Active.
 */
function keyMetadata(table: TableDef, key: KeyDef): Record<string, unknown> {
  return {
    MetadataId: keyMetadataId(table.name, key.name),
    LogicalName: key.name,
    SchemaName: key.name,
    EntityLogicalName: table.name,
    KeyAttributes: [...key.columns],
    DisplayName: label(key.displayName),
    EntityKeyIndexStatus: 'Active',
    IsManaged: false,
    IsCustomizable: {
      Value: true,
      CanBeChanged: false,
      ManagedPropertyLogicalName: 'iscustomizable',
    },
    IsSynchronous: true,
    IsExportKey: false,
    IsSecondaryKey: false,
  }
}

/** $select over metadata objects (the only query option metadata reads take here). */
function metadataSelect(op: Operation): readonly string[] | undefined {
  for (const name of Object.keys(op.req.query)) {
    if (name !== '$select' && name.startsWith('$')) {
      throw unsupported(`${quoteName(name)} is not supported on metadata; use $select.`)
    }
  }
  const text = op.req.query['$select']
  if (text === undefined) return undefined
  const names = text.split(',').map((s) => s.trim())
  if (names.length > MAX_SELECT || !names.every((n) => SELECT_NAME.test(n))) {
    throw badRequest('$select must list property names.')
  }
  return names
}

function project(
  object: Record<string, unknown>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  if (select === undefined) return object
  const out: Record<string, unknown> = {}
  if (object['@odata.type'] !== undefined) out['@odata.type'] = object['@odata.type']
  for (const name of select) {
    if (!(name in object)) {
      throw new AppError('QUERY_INVALID', `Could not find a property named ${quoteName(name)}.`)
    }
    out[name] = object[name]
  }
  if (!select.includes('MetadataId')) out['MetadataId'] = object['MetadataId']
  return out
}

function findByKey<T>(
  key: string,
  items: readonly T[],
  logicalName: (item: T) => string,
  id: (item: T) => string,
): T {
  const parsed = parseKeyText(key)
  let found: T | undefined
  if (parsed.kind === 'guid') found = items.find((i) => id(i) === parsed.id)
  else {
    const [pair] = parsed.pairs
    if (parsed.pairs.length !== 1 || pair?.[0] !== 'LogicalName' || pair[1].kind !== 'string') {
      throw badRequest("Metadata is addressed by MetadataId or LogicalName='<name>'.")
    }
    const name = pair[1].value
    found = items.find((i) => logicalName(i) === name)
  }
  if (found === undefined) {
    throw new AppError('RECORD_NOT_FOUND', 'Could not find the metadata item with that key.')
  }
  return found
}

function single(
  op: Operation,
  context: string,
  object: Record<string, unknown>,
  property: PathSegment | undefined,
): ODataResponse {
  if (property !== undefined) {
    if (property.key !== undefined || !(property.name in object) || property.name.startsWith('@')) {
      throw routeNotFound(property.name)
    }
    return {
      status: 200,
      headers: {},
      body: { '@odata.context': `${context}/${property.name}`, value: object[property.name] },
    }
  }
  const select = metadataSelect(op)
  return {
    status: 200,
    headers: {},
    body: { '@odata.context': `${context}/$entity`, ...project(object, select) },
  }
}

/**
 * Read-only table metadata (dataverse-spec §7 Identity and metadata): EntityDefinitions,
 * EntityDefinitions(LogicalName='x') or (<MetadataId>), …/Attributes, …/Attributes(…), and
 * one property of either, with $select. Other query options are QUERY_UNSUPPORTED.
 */
export async function entityDefinitions(
  op: Operation,
  segments: readonly PathSegment[],
): Promise<ODataResponse> {
  if (op.req.method !== 'GET') throw methodNotAllowed(op.req.method, 'metadata')
  const base = `${op.api.webApiUrl}$metadata#EntityDefinitions`
  const tables = await op.tables()
  const [root, second, third, fourth, fifth] = segments
  if (root?.key === undefined) {
    if (second !== undefined) throw routeNotFound(second.name)
    const select = metadataSelect(op)
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${base}${select === undefined ? '' : `(${select.join(',')})`}`,
        value: tables.map((t) => project(entityMetadata(t), select)),
      },
    }
  }
  const table = findByKey(
    root.key,
    tables,
    (t) => t.name,
    (t) => entityMetadataId(t.name),
  )
  const tableId = entityMetadataId(table.name)
  if (second?.name === 'Keys') {
    return keys(op, table, second, third, fourth)
  }
  if (second?.name !== 'Attributes') {
    if (third !== undefined) throw routeNotFound(third.name)
    return single(op, base, entityMetadata(table), second)
  }
  const attributesContext = `${op.api.webApiUrl}$metadata#EntityDefinitions(${tableId})/Attributes`
  if (second.key === undefined) {
    if (third !== undefined) throw routeNotFound(third.name)
    const select = metadataSelect(op)
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${attributesContext}${select === undefined ? '' : `(${select.join(',')})`}`,
        value: table.columns.map((c) => project(attributeMetadata(table, c), select)),
      },
    }
  }
  if (fourth !== undefined || fifth !== undefined) throw routeNotFound()
  const column = findByKey(
    second.key,
    table.columns,
    (c) => c.name,
    (c) => attributeMetadataId(table.name, c.name),
  )
  return single(op, attributesContext, attributeMetadata(table, column), third)
}

/** EntityDefinitions(…)/Keys, …/Keys(LogicalName='x') or (<MetadataId>), …/Keys(…)/<Property>. */
function keys(
  op: Operation,
  table: TableDef,
  segment: PathSegment,
  property: PathSegment | undefined,
  extra: PathSegment | undefined,
): ODataResponse {
  const context = `${op.api.webApiUrl}$metadata#EntityDefinitions(${entityMetadataId(table.name)})/Keys`
  const defs = table.keys ?? []
  if (segment.key === undefined) {
    if (property !== undefined) throw routeNotFound(property.name)
    const select = metadataSelect(op)
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${context}${select === undefined ? '' : `(${select.join(',')})`}`,
        value: defs.map((k) => project(keyMetadata(table, k), select)),
      },
    }
  }
  if (extra !== undefined) throw routeNotFound(extra.name)
  const key = findByKey(
    segment.key,
    defs,
    (k) => k.name,
    (k) => keyMetadataId(table.name, k.name),
  )
  return single(op, context, keyMetadata(table, key), property)
}
