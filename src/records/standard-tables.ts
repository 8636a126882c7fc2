import { columnSecurityTables } from './column-security-tables.ts'
import { buildTableDef } from './internal/build-table-def.ts'
import { choiceOptions, column, stringColumn } from './internal/column-builders.ts'
import type { ColumnDef, TableDef } from './model.ts'
import { primaryIdColumn } from './system-columns.ts'
import { teamAccessColumns, teamTemplateTable } from './team-template-tables.ts'

const lookup = (
  name: string,
  displayName: string,
  targets: readonly string[],
  onDelete: 'removeLink' | 'restrict' = 'removeLink',
): ColumnDef => column(name, 'lookup', displayName, { targets, onDelete })

const currency = (name: string, displayName: string, minValue: number): ColumnDef =>
  column(name, 'currency', displayName, { precision: 2, minValue, maxValue: 922_337_203_685_477 })

/** systemuser.accessmode (Dataverse values). */
export const ACCESS_MODES = choiceOptions({
  0: 'Read-Write',
  1: 'Administrative',
  2: 'Read',
  3: 'Support User',
  4: 'Non-interactive',
  5: 'Delegated Admin',
})

/** team.teamtype (Dataverse values). */
export const TEAM_TYPES = choiceOptions({
  0: 'Owner',
  1: 'Access',
  2: 'Security Group',
  3: 'Office Group',
})

/** account.industrycode: a few of Dataverse's values. */
export const INDUSTRY_CODES = choiceOptions({
  1: 'Accounting',
  2: 'Agriculture and Non-petrol Natural Resource Extraction',
  3: 'Broadcasting Printing and Publishing',
  4: 'Brokers',
  5: 'Building Supply Retail',
  6: 'Business Services',
  7: 'Consulting',
  8: 'Consumer Services',
})

/**
 * systemuserroles, the N:N association of users and security roles (Dataverse's intersect
 * table, entity set `systemuserrolescollection`). Like Dataverse's it has no primary name
 * column: its primary name is its primary id. Both links restrict deletes, so a user or role
 * can't be deleted while an assignment names it (remove the assignment first).
 */
export function systemUserRolesTable(): TableDef {
  const def = buildTableDef({
    name: 'systemuserroles',
    entitySetName: 'systemuserrolescollection',
    displayName: 'User Security Role',
    ownership: 'organization',
    system: true,
    primaryName: { name: 'name', displayName: 'Name' },
    columns: [
      lookup('systemuserid', 'User', ['systemuser'], 'restrict'),
      lookup('roleid', 'Security Role', ['role'], 'restrict'),
    ],
  })
  // Dataverse names the key systemuserroleid (not <table>id), and an intersect table has no
  // primary name column: buildTableDef adds one, so it is dropped and the id stands in.
  const id = primaryIdColumn('systemuserrole', 'User Security Role')
  return {
    ...def,
    primaryIdColumn: id.name,
    primaryNameColumn: id.name,
    columns: def.columns
      .filter((c) => c.primary !== 'name')
      .map((c) => (c.primary === 'id' ? id : c)),
  }
}

/**
 * An organization-owned table without a primary name column, keyed `<idName>id` (Dataverse's
 * intersect and relationship tables): buildTableDef adds a name column, so it is dropped and
 * the id stands in as the primary name.
 */
export function intersectTable(
  name: string,
  entitySetName: string,
  idName: string,
  displayName: string,
  columns: readonly ColumnDef[],
): TableDef {
  const def = buildTableDef({
    name,
    entitySetName,
    displayName,
    ownership: 'organization',
    system: true,
    primaryName: { name: 'name', displayName: 'Name' },
    columns,
  })
  const id = primaryIdColumn(idName, displayName)
  return {
    ...def,
    primaryIdColumn: id.name,
    primaryNameColumn: id.name,
    columns: def.columns
      .filter((c) => c.primary !== 'name')
      .map((c) => (c.primary === 'id' ? id : c)),
  }
}

/** role.isinherited: member's privilege inheritance (dataverse-spec §3). */
export const ROLE_INHERITANCE = choiceOptions({
  0: 'Team privileges only',
  1: 'Direct User (Basic) access level and Team privileges',
})

/** The security role columns added by schema version 4 (issue #5). */
export function roleSecurityColumns(): ColumnDef[] {
  return [
    column('roletemplateid', 'uniqueidentifier', 'Role Template'),
    column('isinherited', 'choice', "Member's privilege inheritance", {
      choices: ROLE_INHERITANCE,
    }),
  ]
}

/** Hierarchy security (docs/authz.md §15): the largest depth and write level accepted. */
export const MAX_HIERARCHY_DEPTH = 100

/**
 * systemuser.parentsystemuserid, the user's manager (Dataverse's manager hierarchy). Deleting
 * the manager clears it.
 */
export const managerColumn = (): ColumnDef =>
  lookup('parentsystemuserid', 'Manager', ['systemuser'])

/** The stored defaults of the hierarchy settings (provisioning, migration 7). */
export const DEFAULT_HIERARCHY_SETTINGS = {
  enablehierarchicalsecuritymodel: 0n,
  maxdepthforhierarchicalsecuritymodel: 3n,
  hierarchylevelforhierarchyfeature: 1n,
  managersmustbeinsameorparentbusinessunitasreports: 1n,
} as const

/**
 * The organization's hierarchy security settings (docs/authz.md §15), read and updated through
 * the `organizations` entity set like any other organization setting. Null reads as the
 * default (off; depth 3; write level 1; managers in the same or parent unit; no exclusions).
 */
export function hierarchySettingsColumns(): ColumnDef[] {
  return [
    column('enablehierarchicalsecuritymodel', 'boolean', 'Enable Hierarchy Security'),
    column('maxdepthforhierarchicalsecuritymodel', 'wholenumber', 'Hierarchy Security Depth', {
      minValue: 1,
      maxValue: MAX_HIERARCHY_DEPTH,
    }),
    column('hierarchylevelforhierarchyfeature', 'wholenumber', 'Hierarchy Levels With Write', {
      minValue: 0,
      maxValue: MAX_HIERARCHY_DEPTH,
    }),
    column(
      'managersmustbeinsameorparentbusinessunitasreports',
      'boolean',
      'Managers Must Be In Same Or Parent Business Unit As Reports',
    ),
    stringColumn(
      'hierarchysecurityexcludedtables',
      'Tables Excluded From Hierarchy Security',
      4000,
    ),
  ]
}

/**
 * The security-model tables of schema version 4 (issue #5, docs/authz.md §2.1): team roles,
 * team membership, role privileges and record shares (PrincipalObjectAccess). All are
 * organization-owned system tables; the links to users, teams and roles restrict deletes.
 */
export function securityTables(): TableDef[] {
  return [
    intersectTable('teamroles', 'teamrolescollection', 'teamrole', 'Team Security Role', [
      lookup('teamid', 'Team', ['team'], 'restrict'),
      lookup('roleid', 'Security Role', ['role'], 'restrict'),
    ]),
    intersectTable('teammembership', 'teammemberships', 'teammembership', 'Team Membership', [
      lookup('systemuserid', 'User', ['systemuser'], 'restrict'),
      lookup('teamid', 'Team', ['team'], 'restrict'),
    ]),
    intersectTable(
      'roleprivileges',
      'roleprivilegescollection',
      'roleprivilege',
      'Role Privilege',
      [
        lookup('roleid', 'Security Role', ['role'], 'restrict'),
        column('privilegeid', 'uniqueidentifier', 'Privilege'),
        column('privilegedepthmask', 'wholenumber', 'Privilege Depth Mask', {
          minValue: 1,
          maxValue: 8,
        }),
      ],
    ),
    intersectTable(
      'principalobjectaccess',
      'principalobjectaccessset',
      'principalobjectaccess',
      'Principal Object Access',
      [
        column('objectid', 'uniqueidentifier', 'Object'),
        stringColumn('objecttypecode', 'Object Type', 64),
        column('principalid', 'uniqueidentifier', 'Principal'),
        stringColumn('principaltypecode', 'Principal Type', 64),
        column('accessrightsmask', 'wholenumber', 'Access Rights', {
          minValue: 0,
          maxValue: 1_048_575,
        }),
        column('inheritedaccessrightsmask', 'wholenumber', 'Inherited Access Rights', {
          minValue: 0,
          maxValue: 1_048_575,
        }),
      ],
    ),
  ]
}

/**
 * Dataverse's `privilege` table (entity set `privileges`), read-only through the Web API: one
 * row per privilege (internal/privilege-catalog.ts keeps it).
 */
export function privilegeTable(): TableDef {
  return buildTableDef({
    name: 'privilege',
    entitySetName: 'privileges',
    displayName: 'Privilege',
    ownership: 'organization',
    system: true,
    primaryName: { name: 'name', displayName: 'Name', maxLength: 100 },
    columns: [
      column('accessright', 'wholenumber', 'Access Right', { minValue: 0, maxValue: 1_048_575 }),
      column('canbebasic', 'boolean', 'Can Be Basic'),
      column('canbelocal', 'boolean', 'Can Be Local'),
      column('canbedeep', 'boolean', 'Can Be Deep'),
      column('canbeglobal', 'boolean', 'Can Be Global'),
    ],
  })
}

/**
 * The tables every environment starts with: the system tables (the organization, business
 * units, users, teams, security roles and the user-role association; organization-owned,
 * business unit links restricting deletes) and the common tables account and contact
 * (user-owned).
 */
export function standardTables(): TableDef[] {
  return [
    buildTableDef({
      name: 'organization',
      entitySetName: 'organizations',
      displayName: 'Organization',
      ownership: 'organization',
      system: true,
      primaryName: { name: 'name', displayName: 'Name', maxLength: 160 },
      columns: [
        // Assign shares the record with its previous owner (docs/authz.md §14); off by default.
        column('sharetopreviousowneronassign', 'boolean', 'Share To Previous Owner On Assign'),
        ...hierarchySettingsColumns(),
      ],
    }),
    buildTableDef({
      name: 'businessunit',
      entitySetName: 'businessunits',
      displayName: 'Business Unit',
      ownership: 'organization',
      system: true,
      primaryName: { name: 'name', displayName: 'Name', maxLength: 160 },
      columns: [lookup('parentbusinessunitid', 'Parent Business', ['businessunit'], 'restrict')],
    }),
    buildTableDef({
      name: 'systemuser',
      entitySetName: 'systemusers',
      displayName: 'User',
      ownership: 'organization',
      system: true,
      primaryName: { name: 'fullname', displayName: 'Full Name', maxLength: 200 },
      columns: [
        stringColumn('domainname', 'User Name', 1024),
        stringColumn('internalemailaddress', 'Primary Email', 100),
        lookup('businessunitid', 'Business Unit', ['businessunit'], 'restrict'),
        column('isdisabled', 'boolean', 'Status'),
        column('applicationid', 'uniqueidentifier', 'Application ID'),
        column('azureactivedirectoryobjectid', 'uniqueidentifier', 'Azure AD Object ID'),
        column('accessmode', 'choice', 'Access Mode', { choices: ACCESS_MODES }),
        managerColumn(),
      ],
    }),
    buildTableDef({
      name: 'team',
      entitySetName: 'teams',
      displayName: 'Team',
      ownership: 'organization',
      system: true,
      primaryName: { name: 'name', displayName: 'Team Name', maxLength: 160 },
      columns: [
        column('teamtype', 'choice', 'Team Type', { choices: TEAM_TYPES }),
        lookup('businessunitid', 'Business Unit', ['businessunit'], 'restrict'),
        column('isdefault', 'boolean', 'Is Default'),
        ...teamAccessColumns(),
      ],
    }),
    buildTableDef({
      name: 'role',
      entitySetName: 'roles',
      displayName: 'Security Role',
      ownership: 'organization',
      system: true,
      primaryName: { name: 'name', displayName: 'Name', maxLength: 100 },
      columns: [
        lookup('businessunitid', 'Business Unit', ['businessunit'], 'restrict'),
        ...roleSecurityColumns(),
      ],
    }),
    systemUserRolesTable(),
    ...securityTables(),
    ...columnSecurityTables(),
    privilegeTable(),
    teamTemplateTable(),
    buildTableDef({
      name: 'account',
      entitySetName: 'accounts',
      displayName: 'Account',
      ownership: 'user',
      system: false,
      primaryName: { name: 'name', displayName: 'Account Name', maxLength: 160 },
      columns: [
        stringColumn('accountnumber', 'Account Number', 20),
        stringColumn('telephone1', 'Main Phone', 50),
        stringColumn('emailaddress1', 'Email', 100),
        stringColumn('websiteurl', 'Website', 200),
        column('description', 'memo', 'Description', { maxLength: 2000 }),
        currency('revenue', 'Annual Revenue', 0),
        column('numberofemployees', 'wholenumber', 'Number of Employees', {
          minValue: 0,
          maxValue: 1_000_000_000,
        }),
        currency('creditlimit', 'Credit Limit', 0),
        column('industrycode', 'choice', 'Industry', { choices: INDUSTRY_CODES }),
        lookup('parentaccountid', 'Parent Account', ['account']),
        lookup('primarycontactid', 'Primary Contact', ['contact']),
        column('donotemail', 'boolean', 'Do not allow Emails'),
      ],
    }),
    buildTableDef({
      name: 'contact',
      entitySetName: 'contacts',
      displayName: 'Contact',
      ownership: 'user',
      system: false,
      primaryName: { name: 'fullname', displayName: 'Full Name', maxLength: 160 },
      columns: [
        stringColumn('firstname', 'First Name', 50),
        stringColumn('lastname', 'Last Name', 50),
        stringColumn('emailaddress1', 'Email', 100),
        stringColumn('telephone1', 'Business Phone', 50),
        stringColumn('jobtitle', 'Job Title', 100),
        column('birthdate', 'datetime', 'Birthday', { format: 'dateonly' }),
        lookup('parentcustomerid', 'Company Name', ['account', 'contact']),
        column('description', 'memo', 'Description', { maxLength: 2000 }),
      ],
    }),
  ]
}
