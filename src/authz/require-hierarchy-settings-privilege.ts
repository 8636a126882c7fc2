import type { TableDef } from '../records/index.ts'
import { AppError } from '../shared/errors.ts'
import type { Caller } from './caller.ts'
import { hasTaskPrivilege } from './has-task-privilege.ts'
import { securityFromRoleNames } from './security-from-role-names.ts'

/** The organization columns that are hierarchy security settings (docs/authz.md §15). */
export const HIERARCHY_SETTING_COLUMNS: readonly string[] = [
  'enablehierarchicalsecuritymodel',
  'maxdepthforhierarchicalsecuritymodel',
  'hierarchylevelforhierarchyfeature',
  'managersmustbeinsameorparentbusinessunitasreports',
  'hierarchysecurityexcludedtables',
]

/**
 * Changing a hierarchy security setting needs the task privilege "Change Hierarchy Security
 * Settings" on top of Write on the organization (dataverse-spec §3 Hierarchy security). Other
 * organization columns, and every other table, need nothing more.
 *
 * @throws AppError FORBIDDEN (0x80040220) naming prvChangeHierarchySecuritySettings
 */
export function requireHierarchySettingsPrivilege(
  caller: Caller,
  table: TableDef,
  data: Readonly<Record<string, unknown>>,
): void {
  if (table.name !== 'organization') return
  if (!HIERARCHY_SETTING_COLUMNS.some((c) => Object.hasOwn(data, c))) return
  const security = caller.security ?? securityFromRoleNames(caller)
  if (hasTaskPrivilege(security, 'prvChangeHierarchySecuritySettings')) return
  throw new AppError(
    'FORBIDDEN',
    `Principal user (Id=${caller.systemUserId}) is missing prvChangeHierarchySecuritySettings privilege.`,
  )
}
