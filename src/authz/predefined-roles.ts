import type { TableDef } from '../records/index.ts'
import {
  BASIC,
  GLOBAL,
  nameBasedId,
  NONE,
  TASK_PRIVILEGES,
  type Depth,
  type Right,
  type TaskPrivilege,
} from './privileges.ts'

/**
 * A predefined security role (dataverse-spec §3 Predefined roles). Its privileges are a rule
 * over the table being accessed, so tables created later are covered without a hook
 * (docs/authz.md §3 gives the table of rules and the reasons).
 */
export interface PredefinedRole {
  readonly name: string
  /** role.roletemplateid of the role that carries this template. */
  readonly templateId: string
  /** Whether stored roleprivileges rows may add to it. */
  readonly editable: boolean
  /** Whether it may be assigned to users and teams (service-only roles may not). */
  readonly assignable: boolean
  depth(table: TableDef, right: Right): Depth
  readonly tasks: readonly TaskPrivilege[]
}

/** User-owned tables Basic User works on at User depth. */
const CORE_TABLES: ReadonlySet<string> = new Set(['account', 'contact'])

/** Tables every user reads at Organization depth so lookups to them resolve. */
const DIRECTORY_TABLES: ReadonlySet<string> = new Set([
  'organization',
  'businessunit',
  'systemuser',
  'team',
  'role',
  'systemuserroles',
  'teamroles',
  'teammembership',
  'roleprivileges',
  'privilege',
])

const readOnly = (right: Right, depth: Depth): Depth => (right === 'Read' ? depth : NONE)

const role = (
  name: string,
  depth: PredefinedRole['depth'],
  options: Partial<Pick<PredefinedRole, 'editable' | 'assignable' | 'tasks'>> = {},
): PredefinedRole => ({
  name,
  templateId: nameBasedId(`roletemplate:${name}`),
  editable: options.editable ?? true,
  assignable: options.assignable ?? true,
  depth,
  tasks: options.tasks ?? [],
})

export const SYSTEM_ADMINISTRATOR = 'System Administrator'
export const SYSTEM_CUSTOMIZER = 'System Customizer'
export const BASIC_USER = 'Basic User'
export const ENVIRONMENT_MAKER = 'Environment Maker'
export const DELEGATE = 'Delegate'
export const SUPPORT_USER = 'Support User'

/** The predefined roles, in the order provisioning creates them. */
export const PREDEFINED_ROLES: readonly PredefinedRole[] = [
  // Full access to every table, not editable (dataverse-spec §3).
  role(SYSTEM_ADMINISTRATOR, () => GLOBAL, { editable: false, tasks: TASK_PRIVILEGES }),
  // "Sees all custom-table data but only its own Account, Contact … records."
  role(SYSTEM_CUSTOMIZER, (t, r) => {
    if (CORE_TABLES.has(t.name)) return BASIC
    return t.system ? readOnly(r, GLOBAL) : GLOBAL
  }),
  // "Core tables, own records"; the directory tables readable by all.
  role(BASIC_USER, (t, r) => {
    if (CORE_TABLES.has(t.name)) return BASIC
    return DIRECTORY_TABLES.has(t.name) ? readOnly(r, GLOBAL) : NONE
  }),
  // Makes apps and flows: no business data access.
  role(ENVIRONMENT_MAKER, (t, r) =>
    ['organization', 'businessunit', 'systemuser'].includes(t.name) ? readOnly(r, GLOBAL) : NONE,
  ),
  // Impersonation only (prvActOnBehalfOfAnotherUser).
  role(DELEGATE, () => NONE, { tasks: ['prvActOnBehalfOfAnotherUser'] }),
  // Service-only: operators' lockbox-approved read access (issue: lockbox).
  role(SUPPORT_USER, (_t, r) => readOnly(r, GLOBAL), { editable: false, assignable: false }),
]

/** The predefined role with that template id, if any. */
export const predefinedRoleByTemplate = (
  templateId: string | undefined,
): PredefinedRole | undefined =>
  templateId === undefined ? undefined : PREDEFINED_ROLES.find((r) => r.templateId === templateId)

/** The predefined role with that name, if any. */
export const predefinedRoleByName = (name: string): PredefinedRole | undefined =>
  PREDEFINED_ROLES.find((r) => r.name === name)
