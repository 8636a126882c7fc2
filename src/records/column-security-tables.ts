import { buildTableDef } from './internal/build-table-def.ts'
import { choiceOptions, column, stringColumn } from './internal/column-builders.ts'
import type { ColumnDef, TableDef } from './model.ts'
import { intersectTable } from './standard-tables.ts'

/** fieldpermission.canread / cancreate / canupdate (Dataverse values: 0 Not Allowed, 4 Allowed). */
export const FIELD_PERMISSION_TYPES = choiceOptions({ 0: 'Not Allowed', 4: 'Allowed' })

const lookup = (name: string, displayName: string, targets: readonly string[]): ColumnDef =>
  column(name, 'lookup', displayName, { targets, onDelete: 'restrict' })

/**
 * The column (field) security tables of schema version 5 (docs/authz.md §12, dataverse-spec §3
 * "Column (field) level security"): field security profiles, their per-column permissions,
 * their user and team members, and per-record column shares (PrincipalObjectAttributeAccess).
 * All are organization-owned system tables; links restrict deletes (remove the members and
 * permissions of a profile first).
 *
 * Deviation: principalobjectattributeaccess names the column by `objecttypecode` +
 * `attributelogicalname` instead of Dataverse's `attributeid` (a column MetadataId).
 */
export function columnSecurityTables(): TableDef[] {
  const permission = (name: string, displayName: string): ColumnDef =>
    column(name, 'choice', displayName, { choices: FIELD_PERMISSION_TYPES })
  return [
    buildTableDef({
      name: 'fieldsecurityprofile',
      entitySetName: 'fieldsecurityprofiles',
      displayName: 'Field Security Profile',
      ownership: 'organization',
      system: true,
      primaryName: { name: 'name', displayName: 'Name', maxLength: 100 },
      columns: [column('description', 'memo', 'Description', { maxLength: 2000 })],
    }),
    intersectTable('fieldpermission', 'fieldpermissions', 'fieldpermission', 'Field Permission', [
      lookup('fieldsecurityprofileid', 'Field Security Profile', ['fieldsecurityprofile']),
      stringColumn('entityname', 'Entity Name', 64),
      stringColumn('attributelogicalname', 'Attribute Logical Name', 64),
      permission('canread', 'Can Read'),
      permission('cancreate', 'Can Create'),
      permission('canupdate', 'Can Update'),
    ]),
    intersectTable(
      'systemuserprofiles',
      'systemuserprofilescollection',
      'systemuserprofile',
      'User Field Security Profile',
      [
        lookup('systemuserid', 'User', ['systemuser']),
        lookup('fieldsecurityprofileid', 'Field Security Profile', ['fieldsecurityprofile']),
      ],
    ),
    intersectTable(
      'teamprofiles',
      'teamprofilescollection',
      'teamprofile',
      'Team Field Security Profile',
      [
        lookup('teamid', 'Team', ['team']),
        lookup('fieldsecurityprofileid', 'Field Security Profile', ['fieldsecurityprofile']),
      ],
    ),
    intersectTable(
      'principalobjectattributeaccess',
      'principalobjectattributeaccessset',
      'principalobjectattributeaccess',
      'Field Sharing',
      [
        column('objectid', 'uniqueidentifier', 'Object'),
        stringColumn('objecttypecode', 'Object Type', 64),
        stringColumn('attributelogicalname', 'Attribute Logical Name', 64),
        column('principalid', 'uniqueidentifier', 'Principal'),
        stringColumn('principaltypecode', 'Principal Type', 64),
        column('readaccess', 'boolean', 'Read Access'),
        column('updateaccess', 'boolean', 'Update Access'),
      ],
    ),
  ]
}
