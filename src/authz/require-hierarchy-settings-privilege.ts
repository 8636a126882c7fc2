import type { TableDef } from '../records/index.ts'
import type { Caller } from './caller.ts'
import { requireTaskPrivilege } from './has-task-privilege.ts'

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
  // Under impersonation both users need it (the intersection, docs/authz.md §8).
  requireTaskPrivilege(caller, 'prvChangeHierarchySecuritySettings')
}
