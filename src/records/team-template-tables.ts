import { buildTableDef } from './internal/build-table-def.ts'
import { choiceOptions, column, stringColumn } from './internal/column-builders.ts'
import type { ColumnDef, TableDef } from './model.ts'

/** team.membershiptype (Dataverse values; meaningful for Entra group teams, teamtype 2 and 3). */
export const TEAM_MEMBERSHIP_TYPES = choiceOptions({
  0: 'Members and guests',
  1: 'Members',
  2: 'Owners',
  3: 'Guests',
})

/**
 * The team columns of access teams and Entra group teams (docs/authz.md §16, dataverse-spec §3
 * Teams): the template and record an auto-created access team belongs to, whether the system
 * manages it, and the Entra group a group team is bound to.
 *
 * Deviation: Dataverse's `regardingobjectid` is a polymorphic lookup; here it is the record id
 * with its table in `regardingobjecttypecode` (a logical name), as principalobjectaccess does.
 */
export function teamAccessColumns(): ColumnDef[] {
  return [
    column('teamtemplateid', 'lookup', 'Team Template', {
      targets: ['teamtemplate'],
      onDelete: 'restrict',
    }),
    column('regardingobjectid', 'uniqueidentifier', 'Regarding Object'),
    stringColumn('regardingobjecttypecode', 'Regarding Object Type', 64),
    column('systemmanaged', 'boolean', 'Is System Managed'),
    column('azureactivedirectoryobjectid', 'uniqueidentifier', 'Object Id for a group'),
    column('membershiptype', 'choice', 'Membership Type', { choices: TEAM_MEMBERSHIP_TYPES }),
  ]
}

/**
 * teamtemplate (entity set teamtemplates): an access team template for one table and the
 * rights its teams get on their record (dataverse-spec §3 Teams). Organization-owned system
 * table. Deviation: `objecttypecode` is the table's logical name, not its numeric type code.
 */
export function teamTemplateTable(): TableDef {
  return buildTableDef({
    name: 'teamtemplate',
    entitySetName: 'teamtemplates',
    displayName: 'Access Team Template',
    ownership: 'organization',
    system: true,
    primaryName: { name: 'teamtemplatename', displayName: 'Team Template Name', maxLength: 100 },
    columns: [
      stringColumn('objecttypecode', 'Object Type Code', 64),
      column('defaultaccessrightsmask', 'wholenumber', 'Default Access Rights Mask', {
        minValue: 0,
        maxValue: 1_048_575,
      }),
      column('description', 'memo', 'Description', { maxLength: 2000 }),
    ],
  })
}
