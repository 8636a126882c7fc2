import {
  addPrivilegesRole,
  assignRole,
  removePrivilegeRole,
  retrieveRolePrivileges,
  unassignRole,
  type RolePrincipal,
} from '../../authz/index.ts'
import { SYSTEM_ADMINISTRATOR } from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

const PRINCIPAL = {
  user: { type: 'string', description: 'The systemuser id' },
  team: { type: 'string', description: 'The team id' },
} as const

/** `--user <id>` or `--team <id>`, exactly one. @throws AppError USAGE */
function principalOption(input: CommandInput): RolePrincipal {
  const user = stringOption(input, 'user')
  const team = stringOption(input, 'team')
  if ((user === undefined) === (team === undefined)) {
    throw new AppError('USAGE', 'Give exactly one of --user <id> or --team <id>.')
  }
  return user === undefined ? { kind: 'team', id: team ?? '' } : { kind: 'systemuser', id: user }
}

/** The CLI acts as the environment's SYSTEM user with System Administrator. */
async function roleContext(input: CommandInput) {
  const { app, env, actorId } = await dataContext(input)
  const ids = await app.records.readProvisionedIds(env)
  const caller = {
    systemUserId: actorId,
    businessUnitId: ids.businessUnitId,
    roles: [SYSTEM_ADMINISTRATOR],
  }
  return { app, env, caller, deps: { records: app.records, env } }
}

/** A role by id or by (unique) name. @throws AppError VALIDATION */
async function roleIdOf(
  ctx: Awaited<ReturnType<typeof roleContext>>,
  role: string,
): Promise<string> {
  if (GUID.test(role)) return role.toLowerCase()
  const roles = await ctx.app.records.queryRecords(
    ctx.env,
    'role',
    { count: false, select: ['roleid', 'name'] },
    { limit: 10_000 },
  )
  const found = roles.records.filter((r) => r['name'] === role)
  if (found.length !== 1) {
    throw new AppError(
      'VALIDATION',
      found.length === 0
        ? `No security role is named '${role}'.`
        : `Several roles are named '${role}'; give its id.`,
      { details: [{ path: 'role', message: 'unknown or ambiguous security role' }] },
    )
  }
  return String(found[0]?.['roleid'])
}

export const roleList = defineCommand({
  name: 'role list',
  summary: 'List the security roles of an environment.',
  args: [],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const { app, env } = await roleContext(input)
    const result = await app.records.queryRecords(
      env,
      'role',
      { count: false, select: ['roleid', 'name', 'businessunitid', 'roletemplateid'] },
      { limit: 10_000 },
    )
    return {
      roles: result.records.map((r) => ({
        roleid: String(r['roleid']),
        name: String(r['name']),
        businessunitid: String(r['businessunitid']),
        predefined: typeof r['roletemplateid'] === 'string',
      })),
    }
  },
  human: (r) => formatTable(r.roles, ['roleid', 'name', 'predefined']),
})

export const roleAssign = defineCommand({
  name: 'role assign',
  summary:
    'Assign a security role (id or name) to a user or a team; effective on the next request.',
  args: ['role'],
  options: { ...ENV_OPTIONS, ...PRINCIPAL },
  async run(input) {
    const principal = principalOption(input)
    const ctx = await roleContext(input)
    const roleId = await roleIdOf(ctx, input.args['role'] ?? '')
    const added = await assignRole(ctx.deps, ctx.caller, principal, roleId)
    return { roleid: roleId, principal: principal.id, kind: principal.kind, added }
  },
  human: (r) =>
    r.added ? `Assigned role ${r.roleid} to ${r.kind} ${r.principal}\n` : `Already assigned\n`,
})

export const roleUnassign = defineCommand({
  name: 'role unassign',
  summary: 'Remove a security role from a user or a team; effective on the next request.',
  args: ['role'],
  options: { ...ENV_OPTIONS, ...PRINCIPAL },
  async run(input) {
    const principal = principalOption(input)
    const ctx = await roleContext(input)
    const roleId = await roleIdOf(ctx, input.args['role'] ?? '')
    await unassignRole(ctx.deps, ctx.caller, principal, roleId)
    return { roleid: roleId, principal: principal.id, kind: principal.kind }
  },
  human: (r) => `Removed role ${r.roleid} from ${r.kind} ${r.principal}\n`,
})

const DEPTHS: Readonly<Record<string, number>> = { basic: 1, local: 2, deep: 4, global: 8 }
const DEPTH_NAMES: Readonly<Record<number, string>> = {
  1: 'basic',
  2: 'local',
  4: 'deep',
  8: 'global',
}

const PRIVILEGE = {
  privilege: {
    type: 'string',
    description: 'Privilege name (prvReadaccount) or id',
    required: true,
  },
} as const

export const roleShow = defineCommand({
  name: 'role show',
  summary: "A role's privileges (its template's and its stored ones) and depths.",
  args: ['role'],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const ctx = await roleContext(input)
    const roleId = await roleIdOf(ctx, input.args['role'] ?? '')
    const privileges = await retrieveRolePrivileges(ctx.deps, ctx.caller, roleId)
    return {
      roleid: roleId,
      privileges: privileges.map((p) => ({
        privilege: p.privilegeName,
        privilegeid: p.privilegeId,
        depth: DEPTH_NAMES[p.depth] ?? String(p.depth),
      })),
    }
  },
  human: (r) => formatTable(r.privileges, ['privilege', 'depth']),
})

export const roleAddPrivilege = defineCommand({
  name: 'role add-privilege',
  summary: 'Give a role a privilege at a depth; effective on the next request.',
  args: ['role'],
  options: {
    ...ENV_OPTIONS,
    ...PRIVILEGE,
    depth: { type: 'string', description: 'basic, local, deep or global', required: true },
  },
  async run(input) {
    const text = requiredOption(input, 'depth').toLowerCase()
    const depth = DEPTHS[text]
    if (depth === undefined) {
      throw new AppError('USAGE', '--depth must be basic, local, deep or global.')
    }
    const privilege = requiredOption(input, 'privilege')
    const ctx = await roleContext(input)
    const roleId = await roleIdOf(ctx, input.args['role'] ?? '')
    await addPrivilegesRole(ctx.deps, ctx.caller, roleId, [{ privilege, depth }])
    return { roleid: roleId, privilege, depth: text }
  },
  human: (r) => `Role ${r.roleid}: ${r.privilege} at ${r.depth}\n`,
})

export const roleRemovePrivilege = defineCommand({
  name: 'role remove-privilege',
  summary: "Remove a role's stored privilege; effective on the next request.",
  args: ['role'],
  options: { ...ENV_OPTIONS, ...PRIVILEGE },
  async run(input) {
    const privilege = requiredOption(input, 'privilege')
    const ctx = await roleContext(input)
    const roleId = await roleIdOf(ctx, input.args['role'] ?? '')
    await removePrivilegeRole(ctx.deps, ctx.caller, roleId, privilege)
    return { roleid: roleId, privilege }
  },
  human: (r) => `Role ${r.roleid}: removed ${r.privilege}\n`,
})
