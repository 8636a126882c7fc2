import {
  addTeamMembers,
  createTeam,
  removeTeamMembers,
  SYSTEM_ADMINISTRATOR,
} from '../../authz/index.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

/** The CLI acts as the environment's SYSTEM user with System Administrator. */
async function teamContext(input: CommandInput) {
  const { app, env, actorId } = await dataContext(input)
  const ids = await app.records.readProvisionedIds(env)
  const caller = {
    systemUserId: actorId,
    businessUnitId: ids.businessUnitId,
    roles: [SYSTEM_ADMINISTRATOR],
  }
  return { app, env, ids, caller, deps: { records: app.records, env } }
}

const USER = { user: { type: 'string', description: 'The systemuser id', required: true } } as const

export const teamCreate = defineCommand({
  name: 'team create',
  summary: 'Create an owner team in a business unit; prints its id.',
  args: ['name'],
  options: {
    ...ENV_OPTIONS,
    bu: { type: 'string', description: 'Business unit id (default: the root)' },
  },
  async run(input) {
    const ctx = await teamContext(input)
    const id = await createTeam(ctx.deps, ctx.caller, {
      name: input.args['name'] ?? '',
      businessUnitId: stringOption(input, 'bu') ?? ctx.ids.businessUnitId,
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
      { count: false, select: ['teamid', 'name', 'teamtype', 'businessunitid', 'isdefault'] },
      { limit: 100_000 },
    )
    return {
      teams: result.records.map((r) => ({
        teamid: String(r['teamid']),
        name: String(r['name']),
        businessunitid: String(r['businessunitid']),
        isdefault: r['isdefault'] === true,
      })),
    }
  },
  human: (r) => formatTable(r.teams, ['teamid', 'name', 'businessunitid', 'isdefault']),
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
