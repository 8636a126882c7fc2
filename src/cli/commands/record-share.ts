import {
  ACCESS_RIGHT_MASK,
  grantAccess,
  retrievePrincipalAccess,
  retrieveSharedPrincipalsAndAccess,
  revokeAccess,
  RIGHTS,
  SYSTEM_ADMINISTRATOR,
  type PrincipalType,
  type Right,
} from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

const PRINCIPAL = {
  principal: { type: 'string', description: 'The systemuser or team id', required: true },
} as const

/** The CLI acts as the environment's SYSTEM user with System Administrator. */
async function shareContext(input: CommandInput) {
  const { app, env, actorId } = await dataContext(input)
  const ids = await app.records.readProvisionedIds(env)
  const caller = {
    systemUserId: actorId,
    businessUnitId: ids.businessUnitId,
    roles: [SYSTEM_ADMINISTRATOR],
  }
  return { app, env, caller, deps: { records: app.records, env } }
}

/** `read,write,appendto` → an AccessRights mask. @throws AppError USAGE */
export function accessOption(text: string): number {
  let mask = 0
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase()
    const right = RIGHTS.find((r: Right) => r.toLowerCase() === name)
    if (right === undefined) {
      throw new AppError(
        'USAGE',
        `Unknown access right '${part.trim()}'; use ${RIGHTS.map((r) => r.toLowerCase()).join(', ')}.`,
      )
    }
    mask |= ACCESS_RIGHT_MASK[right]
  }
  return mask
}

/** Names of the rights in a mask, lowercase, in flag order. */
const rightsOf = (mask: number): string[] =>
  [...RIGHTS]
    .sort((a, b) => ACCESS_RIGHT_MASK[a] - ACCESS_RIGHT_MASK[b])
    .filter((r) => (mask & ACCESS_RIGHT_MASK[r]) !== 0)
    .map((r) => r.toLowerCase())

/** Whether `id` is a user or a team. @throws AppError VALIDATION */
async function principalType(
  ctx: Awaited<ReturnType<typeof shareContext>>,
  id: string,
): Promise<PrincipalType> {
  for (const kind of ['systemuser', 'team'] as const) {
    try {
      await ctx.app.records.retrieveRecord(ctx.env, kind, id, { select: [`${kind}id`] })
      return kind
    } catch (e) {
      if (!(e instanceof AppError && (e.code === 'RECORD_NOT_FOUND' || e.code === 'VALIDATION')))
        throw e
    }
  }
  throw new AppError('VALIDATION', 'No systemuser or team has that id.', {
    details: [{ path: 'principal', message: 'expected a user or team id' }],
  })
}

export const recordShare = defineCommand({
  name: 'record share',
  summary: 'Share a record with a user or team (adds the rights, as GrantAccess).',
  args: ['table', 'id'],
  options: {
    ...ENV_OPTIONS,
    ...PRINCIPAL,
    access: {
      type: 'string',
      description: 'Rights, comma-separated: read,write,append,appendto,delete,share,assign',
      required: true,
    },
  },
  async run(input) {
    const mask = accessOption(requiredOption(input, 'access'))
    const ctx = await shareContext(input)
    const principalId = requiredOption(input, 'principal')
    const type = await principalType(ctx, principalId)
    const table = input.args['table'] ?? ''
    const id = input.args['id'] ?? ''
    await grantAccess(ctx.deps, ctx.caller, table, id, {
      principalId,
      principalType: type,
      accessMask: mask,
    })
    return { table, id, principal: principalId, principalType: type, access: rightsOf(mask) }
  },
  human: (r) =>
    `Shared ${r.table} ${r.id} with ${r.principalType} ${r.principal}: ${r.access.join(', ')}\n`,
})

export const recordUnshare = defineCommand({
  name: 'record unshare',
  summary: 'Remove a share of a record.',
  args: ['table', 'id'],
  options: { ...ENV_OPTIONS, ...PRINCIPAL },
  async run(input) {
    const ctx = await shareContext(input)
    const principalId = requiredOption(input, 'principal')
    const table = input.args['table'] ?? ''
    const id = input.args['id'] ?? ''
    await revokeAccess(ctx.deps, ctx.caller, table, id, principalId)
    return { table, id, principal: principalId }
  },
  human: (r) => `Unshared ${r.table} ${r.id} from ${r.principal}\n`,
})

export const recordAccess = defineCommand({
  name: 'record access',
  summary: "A record's shares; with --user, that user's rights on it through every path.",
  args: ['table', 'id'],
  options: { ...ENV_OPTIONS, user: { type: 'string', description: 'A systemuser id' } },
  async run(input) {
    const ctx = await shareContext(input)
    const table = input.args['table'] ?? ''
    const id = input.args['id'] ?? ''
    const shares = await retrieveSharedPrincipalsAndAccess(ctx.deps, ctx.caller, table, id)
    const user = stringOption(input, 'user')
    const mask =
      user === undefined
        ? undefined
        : await retrievePrincipalAccess(ctx.deps, ctx.caller, table, id, user)
    return {
      shares: shares.map((s) => ({
        principal: s.principalId,
        principalType: s.principalType,
        access: rightsOf(s.accessMask),
      })),
      ...(user === undefined || mask === undefined ? {} : { user, access: rightsOf(mask) }),
    }
  },
  human: (r) =>
    formatTable(
      r.shares.map((s) => ({ ...s, access: s.access.join(',') })),
      ['principal', 'principalType', 'access'],
    ) + (r.access === undefined ? '' : `${r.user ?? ''}: ${r.access.join(', ')}\n`),
})
