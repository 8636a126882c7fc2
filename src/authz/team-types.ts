/** team.teamtype values (Dataverse's): dataverse-spec §3 Teams. */
export const OWNER_TEAM = 0
export const ACCESS_TEAM = 1
export const SECURITY_GROUP_TEAM = 2
export const OFFICE_GROUP_TEAM = 3

/**
 * Dataverse's deployment limits for access team templates (dataverse-spec §3 Teams), fixed:
 * `MaxAutoCreatedAccessTeamsPerEntity` templates per table, and tables with templates.
 */
export const MAX_TEMPLATES_PER_TABLE = 2
export const MAX_TABLES_WITH_TEMPLATES = 100
