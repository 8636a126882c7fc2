import {
  createBusinessUnit,
  deleteBusinessUnit,
  moveBusinessUnit,
  SYSTEM_ADMINISTRATOR,
} from '../../authz/index.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

/** The CLI acts as the environment's SYSTEM user with System Administrator. */
async function unitContext(input: CommandInput) {
  const { app, env, actorId } = await dataContext(input)
  const ids = await app.records.readProvisionedIds(env)
  const caller = {
    systemUserId: actorId,
    businessUnitId: ids.businessUnitId,
    roles: [SYSTEM_ADMINISTRATOR],
  }
  return { app, env, ids, caller, deps: { records: app.records, env } }
}

export const buCreate = defineCommand({
  name: 'bu create',
  summary: 'Create a business unit (and its default team); prints its id.',
  args: ['name'],
  options: {
    ...ENV_OPTIONS,
    parent: { type: 'string', description: 'Parent business unit id (default: the root)' },
  },
  async run(input) {
    const ctx = await unitContext(input)
    return createBusinessUnit(ctx.deps, ctx.caller, {
      name: input.args['name'] ?? '',
      parentId: stringOption(input, 'parent') ?? ctx.ids.businessUnitId,
    })
  },
  human: (r) => `${r.id}\n`,
})

export const buList = defineCommand({
  name: 'bu list',
  summary: 'List the business units of an environment.',
  args: [],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const { app, env } = await unitContext(input)
    const result = await app.records.queryRecords(
      env,
      'businessunit',
      { count: false, select: ['businessunitid', 'name', 'parentbusinessunitid'] },
      { limit: 100_000 },
    )
    return {
      businessUnits: result.records.map((r) => ({
        businessunitid: String(r['businessunitid']),
        name: String(r['name']),
        parentbusinessunitid:
          typeof r['parentbusinessunitid'] === 'string' ? r['parentbusinessunitid'] : null,
      })),
    }
  },
  human: (r) => formatTable(r.businessUnits, ['businessunitid', 'name', 'parentbusinessunitid']),
})

export const buMove = defineCommand({
  name: 'bu move',
  summary: 'Move a business unit (with its subtree) under another parent.',
  args: ['id'],
  options: {
    ...ENV_OPTIONS,
    parent: { type: 'string', description: 'New parent business unit id', required: true },
  },
  async run(input) {
    const ctx = await unitContext(input)
    const parent = requiredOption(input, 'parent')
    await moveBusinessUnit(ctx.deps, ctx.caller, input.args['id'] ?? '', parent)
    return { id: input.args['id'], parent }
  },
  human: (r) => `Moved ${String(r.id)} under ${r.parent}\n`,
})

export const buDelete = defineCommand({
  name: 'bu delete',
  summary: 'Delete an empty business unit (no child units, users or other teams).',
  args: ['id'],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const ctx = await unitContext(input)
    await deleteBusinessUnit(ctx.deps, ctx.caller, input.args['id'] ?? '')
    return { id: input.args['id'] }
  },
  human: (r) => `Deleted ${String(r.id)}\n`,
})
