import { AppError } from '../../shared/errors.ts'
import { defineCommand, stringOption, type CommandInput } from '../command.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

/** The organization columns of hierarchy security (docs/authz.md §15), by CLI option. */
const SETTINGS = {
  enabled: 'enablehierarchicalsecuritymodel',
  depth: 'maxdepthforhierarchicalsecuritymodel',
  'write-levels': 'hierarchylevelforhierarchyfeature',
  'same-bu': 'managersmustbeinsameorparentbusinessunitasreports',
  exclude: 'hierarchysecurityexcludedtables',
} as const

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const usage = (message: string) => new AppError('USAGE', message)

function parseFlag(name: string, text: string): boolean {
  if (text === 'true' || text === 'on') return true
  if (text === 'false' || text === 'off') return false
  throw usage(`--${name} takes true or false.`)
}

function parseLevel(name: string, text: string): number {
  // Range checks are the column's (RECORD_INVALID), as for a Web API PATCH.
  if (!/^-?\d{1,4}$/.test(text)) throw usage(`--${name} takes a whole number.`)
  return Number(text)
}

async function readSettings(input: CommandInput) {
  const { app, env, actorId } = await dataContext(input)
  const ids = await app.records.readProvisionedIds(env)
  const row = await app.records.retrieveRecord(env, 'organization', ids.organizationId, {
    select: ['organizationid', ...Object.values(SETTINGS)],
  })
  return { app, env, actorId, organizationId: ids.organizationId, row }
}

export const hierarchyShow = defineCommand({
  name: 'hierarchy show',
  summary: "Show the organization's hierarchy security settings (manager model).",
  args: [],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const { row } = await readSettings(input)
    return Object.fromEntries(
      Object.entries(SETTINGS).map(([option, column]) => [option, row[column] ?? null]),
    )
  },
  human: (r) =>
    Object.entries(r)
      .map(([k, v]) => `${k}: ${v === null ? '' : String(v)}\n`)
      .join(''),
})

export const hierarchySet = defineCommand({
  name: 'hierarchy set',
  summary: 'Change hierarchy security settings; applies on the next request.',
  args: [],
  options: {
    ...ENV_OPTIONS,
    enabled: { type: 'string', description: 'true | false: hierarchy security on or off' },
    depth: { type: 'string', description: 'Levels below a manager that are readable (1-100)' },
    'write-levels': {
      type: 'string',
      description: 'Levels below a manager that are writable (0-100; 1 = direct reports)',
    },
    'same-bu': {
      type: 'string',
      description: "true | false: reports must be in the manager's unit or a child unit",
    },
    exclude: {
      type: 'string',
      description: 'Comma-separated tables excluded from the hierarchy ("" for none)',
    },
  },
  async run(input) {
    const values: Record<string, unknown> = {}
    for (const [option, column] of Object.entries(SETTINGS)) {
      const text = stringOption(input, option)
      if (text === undefined) continue
      values[column] =
        option === 'enabled' || option === 'same-bu'
          ? parseFlag(option, text)
          : option === 'exclude'
            ? text.trim() === ''
              ? null
              : text.replace(/\s+/g, '').toLowerCase()
            : parseLevel(option, text)
    }
    if (Object.keys(values).length === 0) throw usage('Give at least one setting to change.')
    const { app, env, actorId, organizationId } = await readSettings(input)
    await app.records.updateRecord(env, 'organization', organizationId, values, { actorId })
    const { row } = await readSettings(input)
    return Object.fromEntries(
      Object.entries(SETTINGS).map(([option, column]) => [option, row[column] ?? null]),
    )
  },
  human: (r) =>
    Object.entries(r)
      .map(([k, v]) => `${k}: ${v === null ? '' : String(v)}\n`)
      .join(''),
})

export const hierarchyManager = defineCommand({
  name: 'hierarchy manager',
  summary: "Set a user's manager (systemuser.parentsystemuserid), or clear it with --none.",
  args: ['user'],
  options: {
    ...ENV_OPTIONS,
    manager: { type: 'string', description: "The manager's systemuserid" },
    none: { type: 'boolean', description: 'Clear the manager' },
  },
  async run(input) {
    const user = input.args['user'] ?? ''
    const manager = stringOption(input, 'manager')
    const none = input.options['none'] === true
    if ((manager === undefined) === !none) throw usage('Give exactly one of --manager and --none.')
    for (const id of [user, ...(manager === undefined ? [] : [manager])]) {
      if (!GUID.test(id)) throw usage('Users are named by their systemuserid (a GUID).')
    }
    const { app, env, actorId } = await dataContext(input)
    await app.records.updateRecord(
      env,
      'systemuser',
      user.toLowerCase(),
      { parentsystemuserid: manager === undefined ? null : manager.toLowerCase() },
      { actorId },
    )
    return { user: user.toLowerCase(), manager: manager?.toLowerCase() ?? null }
  },
  human: (r) =>
    r.manager === null
      ? `Cleared the manager of ${r.user}\n`
      : `${r.user} reports to ${r.manager}\n`,
})
