import { ACCESS_RIGHT_MASK, RIGHTS } from '../../authz/index.ts'

/**
 * The security model's operations in $metadata (dataverse-spec §3, as Dataverse declares
 * them): the AccessRights flags enum, PrincipalAccess, the sharing actions and functions, the
 * team membership and role privilege actions and functions. `crmbaseentity` and `principal` are declared abstract, as the parameter types.
 */
export function securitySchema(): string[] {
  const members = [...RIGHTS]
    .sort((a, b) => ACCESS_RIGHT_MASK[a] - ACCESS_RIGHT_MASK[b])
    .map((r) => `<Member Name="${r}Access" Value="${String(ACCESS_RIGHT_MASK[r])}"/>`)
  const target = '<Parameter Name="Target" Type="mscrm.crmbaseentity" Nullable="false"/>'
  return [
    '<EntityType Name="crmbaseentity" Abstract="true"/>',
    '<EntityType Name="principal" Abstract="true"/>',
    '<EnumType Name="AccessRights" UnderlyingType="Edm.Int32" IsFlags="true">',
    '<Member Name="None" Value="0"/>',
    ...members,
    '</EnumType>',
    '<ComplexType Name="PrincipalAccess">',
    '<Property Name="AccessMask" Type="mscrm.AccessRights" Nullable="false"/>',
    '<NavigationProperty Name="Principal" Type="mscrm.principal" Nullable="false"/>',
    '</ComplexType>',
    '<ComplexType Name="RetrieveSharedPrincipalsAndAccessResponse">',
    '<Property Name="PrincipalAccesses" Type="Collection(mscrm.PrincipalAccess)" Nullable="false"/>',
    '</ComplexType>',
    '<ComplexType Name="RetrievePrincipalAccessResponse">',
    '<Property Name="AccessRights" Type="mscrm.AccessRights" Nullable="false"/>',
    '</ComplexType>',
    ...['GrantAccess', 'ModifyAccess'].map(
      (name) =>
        `<Action Name="${name}">${target}<Parameter Name="PrincipalAccess" Type="mscrm.PrincipalAccess" Nullable="false"/></Action>`,
    ),
    `<Action Name="RevokeAccess">${target}<Parameter Name="Revokee" Type="mscrm.principal" Nullable="false"/></Action>`,
    `<Function Name="RetrieveSharedPrincipalsAndAccess">${target}<ReturnType Type="mscrm.RetrieveSharedPrincipalsAndAccessResponse" Nullable="false"/></Function>`,
    '<EnumType Name="PrivilegeDepth" UnderlyingType="Edm.Int32">',
    ...['Basic', 'Local', 'Deep', 'Global'].map(
      (name, i) => `<Member Name="${name}" Value="${String(i)}"/>`,
    ),
    '</EnumType>',
    '<ComplexType Name="RolePrivilege">',
    '<Property Name="Depth" Type="mscrm.PrivilegeDepth" Nullable="false"/>',
    '<Property Name="PrivilegeId" Type="Edm.Guid" Nullable="false"/>',
    '<Property Name="BusinessUnitId" Type="Edm.Guid"/>',
    '<Property Name="PrivilegeName" Type="Edm.String"/>',
    '</ComplexType>',
    ...['RetrieveRolePrivilegesRoleResponse', 'RetrieveUserPrivilegesResponse'].map(
      (name) =>
        `<ComplexType Name="${name}"><Property Name="RolePrivileges" Type="Collection(mscrm.RolePrivilege)" Nullable="false"/></ComplexType>`,
    ),
    ...['AddMembersTeam', 'RemoveMembersTeam'].map(
      (name) =>
        `<Action Name="${name}" IsBound="true"><Parameter Name="entity" Type="mscrm.team" Nullable="false"/><Parameter Name="Members" Type="Collection(mscrm.systemuser)" Nullable="false"/></Action>`,
    ),
    ...['AddUserToRecordTeamResponse', 'RemoveUserFromRecordTeamResponse'].map(
      (name) =>
        `<ComplexType Name="${name}"><Property Name="AccessTeamId" Type="Edm.Guid" Nullable="false"/></ComplexType>`,
    ),
    ...['AddUserToRecordTeam', 'RemoveUserFromRecordTeam'].map(
      (name) =>
        `<Action Name="${name}" IsBound="true"><Parameter Name="entity" Type="mscrm.systemuser" Nullable="false"/><Parameter Name="Record" Type="mscrm.crmbaseentity" Nullable="false"/><Parameter Name="TeamTemplate" Type="mscrm.teamtemplate" Nullable="false"/><ReturnType Type="mscrm.${name}Response" Nullable="false"/></Action>`,
    ),
    ...['AddPrivilegesRole', 'ReplacePrivilegesRole'].map(
      (name) =>
        `<Action Name="${name}" IsBound="true"><Parameter Name="entity" Type="mscrm.role" Nullable="false"/><Parameter Name="Privileges" Type="Collection(mscrm.RolePrivilege)" Nullable="false"/></Action>`,
    ),
    '<Action Name="RemovePrivilegeRole" IsBound="true"><Parameter Name="entity" Type="mscrm.role" Nullable="false"/><Parameter Name="PrivilegeId" Type="Edm.Guid" Nullable="false"/></Action>',
    '<Function Name="RetrieveRolePrivilegesRole" IsBound="true"><Parameter Name="entity" Type="mscrm.role" Nullable="false"/><ReturnType Type="mscrm.RetrieveRolePrivilegesRoleResponse" Nullable="false"/></Function>',
    '<Function Name="RetrieveUserPrivileges" IsBound="true"><Parameter Name="entity" Type="mscrm.systemuser" Nullable="false"/><ReturnType Type="mscrm.RetrieveUserPrivilegesResponse" Nullable="false"/></Function>',
    ...['systemuser', 'team'].map(
      (bound) =>
        `<Function Name="RetrievePrincipalAccess" IsBound="true"><Parameter Name="entity" Type="mscrm.${bound}" Nullable="false"/>${target}<ReturnType Type="mscrm.RetrievePrincipalAccessResponse" Nullable="false"/></Function>`,
    ),
  ]
}

/** The EntityContainer imports of the unbound security operations. */
export function securityImports(): string[] {
  return [
    ...['GrantAccess', 'ModifyAccess', 'RevokeAccess'].map(
      (name) => `<ActionImport Name="${name}" Action="mscrm.${name}"/>`,
    ),
    '<FunctionImport Name="RetrieveSharedPrincipalsAndAccess" Function="mscrm.RetrieveSharedPrincipalsAndAccess" IncludeInServiceDocument="false"/>',
  ]
}
