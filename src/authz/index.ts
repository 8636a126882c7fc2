export { actingAlone, actorOf, type Caller } from './caller.ts'
export { BASIC_USER, recordAccess, SYSTEM_ADMINISTRATOR } from './record-access.ts'
export type {
  SecurityContext,
  RoleGrant,
  TeamMembership,
  GrantAnchor,
  HierarchySettings,
} from './security-context.ts'
export {
  hierarchySettingsOf,
  loadSecurityContext,
  type LoadedSecurity,
  type SecurityRows,
} from './load-security-context.ts'
export {
  PREDEFINED_ROLES,
  predefinedRoleByName,
  predefinedRoleByTemplate,
  type PredefinedRole,
} from './predefined-roles.ts'
export {
  ACCESS_RIGHT_MASK,
  ALL_ACCESS_RIGHTS,
  privilegeIdOf,
  privilegeName,
  RIGHTS,
  TASK_PRIVILEGES,
  type Depth,
  type Right,
} from './privileges.ts'
export { resolveTablePrivilege, type TablePrivilege } from './table-privilege.ts'
export {
  checkCallerAccess,
  checkRecordAccess,
  type RecordFacts,
  type SecurityFacts,
} from './check-record-access.ts'
export { securityRowsOf, type RecordQueries } from './security-rows.ts'
export { accessDenied, intersectScopes, rightAccess } from './record-access.ts'
export {
  changeRights,
  OWNER_COLUMN,
  recordChangeAccess,
  requireAssignOnCreate,
} from './record-change-access.ts'
export { grantAccess } from './grant-access.ts'
export { modifyAccess } from './modify-access.ts'
export { revokeAccess } from './revoke-access.ts'
export {
  retrievePrincipalAccess,
  retrieveTeamPrincipalAccess,
} from './retrieve-principal-access.ts'
export { retrieveSharedPrincipalsAndAccess } from './retrieve-shared-principals-and-access.ts'
export type { PrincipalAccess, PrincipalType, SharingDeps } from './share-support.ts'
export { hasTaskPrivilege, requireTaskPrivilege } from './has-task-privilege.ts'
export {
  HIERARCHY_SETTING_COLUMNS,
  requireHierarchySettingsPrivilege,
} from './require-hierarchy-settings-privilege.ts'
export { readSecurityVersion } from './read-security-version.ts'
export { assignRole } from './assign-role.ts'
export { unassignRole } from './unassign-role.ts'
export type { RolePrincipal } from './role-assignment-support.ts'
export { createBusinessUnit } from './create-business-unit.ts'
export { moveBusinessUnit } from './move-business-unit.ts'
export { deleteBusinessUnit } from './delete-business-unit.ts'
export { createTeam, type TeamKind } from './create-team.ts'
export { createTeamTemplate } from './create-team-template.ts'
export { deleteTeamTemplate } from './delete-team-template.ts'
export { addUserToRecordTeam, type RecordTeamInput } from './add-user-to-record-team.ts'
export { removeUserFromRecordTeam } from './remove-user-from-record-team.ts'
export {
  ACCESS_TEAM,
  MAX_TABLES_WITH_TEMPLATES,
  MAX_TEMPLATES_PER_TABLE,
  OFFICE_GROUP_TEAM,
  OWNER_TEAM,
  SECURITY_GROUP_TEAM,
} from './team-types.ts'
export { addTeamMembers } from './add-team-members.ts'
export { removeTeamMembers } from './remove-team-members.ts'
export { addPrivilegesRole } from './add-privileges-role.ts'
export { removePrivilegeRole } from './remove-privilege-role.ts'
export { retrieveRolePrivileges, type RolePrivilegeEntry } from './retrieve-role-privileges.ts'
export { retrieveUserPrivileges } from './retrieve-user-privileges.ts'
export { replacePrivilegesRole } from './replace-privileges-role.ts'
export {
  columnAccess,
  filterColumns,
  isSystemAdministrator,
  maskRecord,
  refuseUnreadableColumns,
  refuseUnwritableColumns,
  securedColumns,
  type ColumnAccess,
} from './column-access.ts'
export { loadFieldPermissions, FIELD_PERMISSION_ALLOWED } from './load-field-permissions.ts'
export { readColumnShares } from './read-column-shares.ts'
export { withColumnSecurity, type ColumnSecuredOperations } from './with-column-security.ts'
export type { FieldPermission } from './security-context.ts'
