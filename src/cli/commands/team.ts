import {
  addTeamMembers,
  createTeam,
  removeTeamMembers,
  SYSTEM_ADMINISTRATOR,
  type TeamKind,
} from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

/** The CLI acts as the environment's SYSTEM user with System Administrator. */
export async function teamContext(input: CommandInput) {
  const { app, env, actorId } = await dataContext(input)
  const ids = await app.records.readProvisionedIds(env)
  const caller = {
    systemUserId: actorId,
    businessUnitId: ids.businessUnitId,
    roles: [SYSTEM_ADMINISTRATOR],
  }
  return { app, env, ids, caller, deps: { records: app.records, env } }
}

/** --type and --group as a TeamKind. @throws AppError USAGE */
function teamKindOf(input: CommandInput): TeamKind {
  const type = stringOption(input, 'type') ?? 'owner'
  const group = stringOption(input, 'group')
  if (type === 'owner' || type === 'access') {
    if (group !== undefined) throw new AppError('USAGE', '--group is for group teams only.')
    return { type: type === 'owner' ? 0 : 1 }
  }
  if (type === 'security-group' || type === 'office-group') {
    if (group === undefined) throw new AppError('USAGE', 'A group team needs --group <object id>.')
    return { type: type === 'security-group' ? 2 : 3, groupId: group }
  }
  throw new AppError('USAGE', '--type must be owner, access, security-group or office-group.')
}

const USER = { user: { type: 'string', description: 'The systemuser id', required: true } } as const

export const teamCreate = defineCommand({
  name: 'team create',
  summary:
    'Create a team in a business unit (owner by default, access, or an Entra group team); prints its id.',
  args: ['name'],
  options: {
    ...ENV_OPTIONS,
    bu: { type: 'string', description: 'Business unit id (default: the root)' },
    type: {
      type: 'string',
      description: 'owner (default), access, security-group or office-group',
    },
    group: { type: 'string', description: 'Entra group object id (group teams)' },
  },
  async run(input) {
    const ctx = await teamContext(input)
    const id = await createTeam(ctx.deps, ctx.caller, {
      name: input.args['name'] ?? '',
      businessUnitId: stringOption(input, 'bu') ?? ctx.ids.businessUnitId,
      kind: teamKindOf(input),
    })
    return { id }
  },
  human: (r) => `${r.id}\n`,
})

export const teamList = defineCommand({
  name: 'team list',
  summary: 'List the teams of an environment.',
  args: [],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const { app, env } = await teamContext(input)
    const result = await app.records.queryRecords(
      env,
      'team',
      {
        count: false,
        select: [
          'teamid',
          'name',
          'teamtype',
          'businessunitid',
          'isdefault',
          'azureactivedirectoryobjectid',
        ],
      },
      { limit: 100_000 },
    )
    return {
      teams: result.records.map((r) => ({
        teamid: String(r['teamid']),
        name: String(r['name']),
        teamtype: Number(r['teamtype']),
        businessunitid: String(r['businessunitid']),
        isdefault: r['isdefault'] === true,
        group:
          typeof r['azureactivedirectoryobjectid'] === 'string'
            ? r['azureactivedirectoryobjectid']
            : '',
      })),
    }
  },
  human: (r) =>
    formatTable(r.teams, ['teamid', 'name', 'teamtype', 'businessunitid', 'isdefault', 'group']),
})

export const teamAddMember = defineCommand({
  name: 'team add-member',
  summary: 'Add a user to an owner team; effective on the next request.',
  args: ['team'],
  options: { ...ENV_OPTIONS, ...USER },
  async run(input) {
    const ctx = await teamContext(input)
    const user = requiredOption(input, 'user')
    const added = await addTeamMembers(ctx.deps, ctx.caller, input.args['team'] ?? '', [user])
    return { team: input.args['team'], user, added: added === 1 }
  },
  human: (r) => (r.added ? `Added ${r.user}\n` : 'Already a member\n'),
})

export const teamRemoveMember = defineCommand({
  name: 'team remove-member',
  summary: 'Remove a user from an owner team; effective on the next request.',
  args: ['team'],
  options: { ...ENV_OPTIONS, ...USER },
  async run(input) {
    const ctx = await teamContext(input)
    const user = requiredOption(input, 'user')
    const removed = await removeTeamMembers(ctx.deps, ctx.caller, input.args['team'] ?? '', [user])
    return { team: input.args['team'], user, removed: removed === 1 }
  },
  human: (r) => (r.removed ? `Removed ${r.user}\n` : 'Not a member\n'),
})
