import { securityImports, securitySchema } from './csdl-security.ts'
import { maxLengthOf, precisionOf, type ColumnDef, type TableDef } from '../../records/index.ts'
import type { ODataResponse } from '../context.ts'
import { edmType, propertyName } from './edm-type.ts'
import { collectionNavigations, singleNavigations } from './navigation.ts'
import type { Operation } from './operation.ts'

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}
const XML_SPECIAL = /[&<>"']/g

/** Escapes text for an XML attribute value. */
export const xmlAttr = (text: string): string =>
  text.replace(XML_SPECIAL, (c) => XML_ESCAPES[c] ?? c)

function property(column: ColumnDef): string {
  const type = edmType(column)
  let facets = ''
  if (column.type === 'string' || column.type === 'memo')
    facets = ` MaxLength="${maxLengthOf(column)}"`
  if (column.type === 'decimal' || column.type === 'currency') {
    facets = ` Scale="${precisionOf(column)}"`
  }
  return `<Property Name="${xmlAttr(propertyName(column))}" Type="${type}"${facets}/>`
}

function entityType(table: TableDef, tables: readonly TableDef[]): string {
  const parts = [
    `<EntityType Name="${xmlAttr(table.name)}">`,
    `<Key><PropertyRef Name="${xmlAttr(table.primaryIdColumn)}"/></Key>`,
    ...table.columns.map(property),
    ...singleNavigations(table).map((n) => {
      const key = tables.find((t) => t.name === n.target)?.primaryIdColumn ?? `${n.target}id`
      return `<NavigationProperty Name="${xmlAttr(n.name)}" Type="mscrm.${xmlAttr(n.target)}"><ReferentialConstraint Property="${xmlAttr(propertyName(n.column))}" ReferencedProperty="${xmlAttr(key)}"/></NavigationProperty>`
    }),
    ...collectionNavigations(table, tables).map(
      (n) =>
        `<NavigationProperty Name="${xmlAttr(n.name)}" Type="Collection(mscrm.${xmlAttr(n.table.name)})"/>`,
    ),
    alternateKeys(table),
    '</EntityType>',
  ]
  return parts.join('')
}

/**
 * The table's alternate keys as Dataverse publishes them: the OData Community vocabulary's
 * `OData.Community.Keys.V1.AlternateKeys` annotation, one AlternateKey record per key with a
 * PropertyRef (Alias and Name, the property as addressed: `_x_value` for a lookup) per column.
 */
function alternateKeys(table: TableDef): string {
  const keys = table.keys ?? []
  if (keys.length === 0) return ''
  const records = keys.map((key) => {
    const refs = key.columns.map((name) => {
      const column = table.columns.find((c) => c.name === name)
      const property = xmlAttr(column === undefined ? name : propertyName(column))
      return `<Record Type="OData.Community.Keys.V1.PropertyRef"><PropertyValue Property="Alias" String="${property}"/><PropertyValue Property="Name" PropertyPath="${property}"/></Record>`
    })
    return `<Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection>${refs.join('')}</Collection></PropertyValue></Record>`
  })
  return `<Annotation Term="OData.Community.Keys.V1.AlternateKeys"><Collection>${records.join('')}</Collection></Annotation>`
}

function entitySet(table: TableDef, tables: readonly TableDef[]): string {
  const bindings = [
    ...singleNavigations(table).map((n) => [n.name, n.target] as const),
    ...collectionNavigations(table, tables).map((n) => [n.name, n.table.name] as const),
  ].flatMap(([path, target]) => {
    const set = tables.find((t) => t.name === target)?.entitySetName
    return set === undefined
      ? []
      : [`<NavigationPropertyBinding Path="${xmlAttr(path)}" Target="${xmlAttr(set)}"/>`]
  })
  return `<EntitySet Name="${xmlAttr(table.entitySetName)}" EntityType="mscrm.${xmlAttr(table.name)}">${bindings.join('')}</EntitySet>`
}

/**
 * GET $metadata: the CSDL (OData 4.0 XML) of the environment's tables in the namespace
 * Microsoft.Dynamics.CRM (alias mscrm), with the WhoAmI function (dataverse-spec §7) and the
 * security model's sharing actions and functions (csdl-security.ts).
 */
export async function csdl(op: Operation): Promise<ODataResponse> {
  const tables = await op.tables()
  const xml = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    '<edmx:DataServices>',
    '<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">',
    ...tables.map((t) => entityType(t, tables)),
    '<ComplexType Name="WhoAmIResponse">',
    '<Property Name="BusinessUnitId" Type="Edm.Guid" Nullable="false"/>',
    '<Property Name="UserId" Type="Edm.Guid" Nullable="false"/>',
    '<Property Name="OrganizationId" Type="Edm.Guid" Nullable="false"/>',
    '</ComplexType>',
    '<Function Name="WhoAmI"><ReturnType Type="mscrm.WhoAmIResponse" Nullable="false"/></Function>',
    ...securitySchema(),
    '<EntityContainer Name="System">',
    ...tables.map((t) => entitySet(t, tables)),
    '<FunctionImport Name="WhoAmI" Function="mscrm.WhoAmI" IncludeInServiceDocument="false"/>',
    ...securityImports(),
    '</EntityContainer>',
    '</Schema>',
    '</edmx:DataServices>',
    '</edmx:Edmx>',
  ].join('\n')
  return { status: 200, headers: { 'Content-Type': 'application/xml; charset=utf-8' }, body: xml }
}
