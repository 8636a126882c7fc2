import type { Strongroom } from '../../app.ts'
import { FIELD_PERMISSION_ALLOWED } from '../../authz/index.ts'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import { defineCommand, requiredOption, stringOption } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const setSecured = (secured: boolean) =>
  defineCommand({
    name: secured ? 'column secure' : 'column unsecure',
    summary: secured
      ? 'Secure a column (column security, IsSecured): only System Administrators, field security profiles and column shares reach it.'
      : 'Remove column security from a column.',
    args: ['table', 'column'],
    options: ENV_OPTIONS,
    async run(input) {
      const { app, env } = await dataContext(input)
      const table = input.args['table'] ?? ''
      const result = await app.records.setColumnSecured(
        env,
        table,
        input.args['column'] ?? '',
        secured,
      )
      return { table, column: result.column.name, secured, changed: result.changed }
    },
    human: (r) =>
      r.changed
        ? `Column ${r.table}.${r.column} is ${r.secured ? 'secured' : 'no longer secured'}.\n`
        : `Column ${r.table}.${r.column} already was ${r.secured ? 'secured' : 'not secured'}; nothing changed.\n`,
  })

export const columnSecure = setSecured(true)
export const columnUnsecure = setSecured(false)

/** The id of the field security profile named (or with the id) `ref`. */
async function profileId(app: Strongroom, env: EnvironmentId, ref: string): Promise<string> {
  const byId = UUID.test(ref)
  const found = await app.records.queryRecords(
    env,
    'fieldsecurityprofile',
    { count: false, select: ['fieldsecurityprofileid'] },
    {
      where: (eb) =>
        eb(eb.ref(byId ? 'fieldsecurityprofileid' : 'name'), '=', byId ? ref.toLowerCase() : ref),
      limit: 2,
    },
  )
  const first = found.records[0]
  if (first === undefined) {
    throw new AppError('RECORD_NOT_FOUND', `No field security profile '${ref}'.`)
  }
  if (found.records.length > 1) {
    throw new AppError(
      'VALIDATION',
      `More than one field security profile is named '${ref}'; use its id.`,
    )
  }
  return String(first['fieldsecurityprofileid'])
}

export const fspCreate = defineCommand({
  name: 'fsp create',
  summary: 'Create a field security profile (column security).',
  args: ['name'],
  options: { ...ENV_OPTIONS, description: { type: 'string', description: 'Description' } },
  async run(input) {
    const { app, env, actorId } = await dataContext(input)
    const description = stringOption(input, 'description')
    const id = await app.records.createRecord(
      env,
      'fieldsecurityprofile',
      { name: input.args['name'] ?? '', ...(description === undefined ? {} : { description }) },
      { actorId },
    )
    return { id, name: input.args['name'] ?? '' }
  },
  human: (r) => `${r.id}\n`,
})

export const fspList = defineCommand({
  name: 'fsp list',
  summary: 'List the field security profiles with their column permissions and members.',
  args: [],
  options: ENV_OPTIONS,
  async run(input) {
    const { app, env } = await dataContext(input)
    const read = async (table: string, select: string[]) =>
      (await app.records.queryRecords(env, table, { count: false, select }, { limit: 5000 }))
        .records
    const profiles = await read('fieldsecurityprofile', ['fieldsecurityprofileid', 'name'])
    const permissions = await read('fieldpermission', [
      'fieldsecurityprofileid',
      'entityname',
      'attributelogicalname',
      'canread',
      'cancreate',
      'canupdate',
    ])
    const users = await read('systemuserprofiles', ['fieldsecurityprofileid', 'systemuserid'])
    const teams = await read('teamprofiles', ['fieldsecurityprofileid', 'teamid'])
    const allowed = (v: unknown) => Number(v) === FIELD_PERMISSION_ALLOWED
    return profiles.map((p) => {
      const id = String(p['fieldsecurityprofileid'])
      const of = <T extends Record<string, unknown>>(rows: readonly T[]) =>
        rows.filter((r) => r['fieldsecurityprofileid'] === id)
      return {
        id,
        name: String(p['name']),
        permissions: of(permissions).map((r) => ({
          column: `${String(r['entityname'])}.${String(r['attributelogicalname'])}`,
          read: allowed(r['canread']),
          create: allowed(r['cancreate']),
          update: allowed(r['canupdate']),
        })),
        users: of(users).map((r) => String(r['systemuserid'])),
        teams: of(teams).map((r) => String(r['teamid'])),
      }
    })
  },
  human: (rows) =>
    formatTable(
      rows.map((p) => ({
        id: p.id,
        name: p.name,
        permissions: p.permissions
          .map(
            (x) => `${x.column}:${x.read ? 'r' : ''}${x.create ? 'c' : ''}${x.update ? 'u' : ''}`,
          )
          .join(' '),
        members: p.users.length + p.teams.length,
      })),
      ['id', 'name', 'permissions', 'members'],
    ),
})

export const fspGrant = defineCommand({
  name: 'fsp grant',
  summary:
    'Set what a field security profile allows on a secured column (--read, --create, --update; the ones left out are not allowed).',
  args: ['profile', 'table', 'column'],
  options: {
    ...ENV_OPTIONS,
    read: { type: 'boolean', description: 'Allow Read' },
    create: { type: 'boolean', description: 'Allow Create' },
    update: { type: 'boolean', description: 'Allow Update' },
  },
  async run(input) {
    const { app, env, actorId } = await dataContext(input)
    const profile = await profileId(app, env, input.args['profile'] ?? '')
    const table = await app.records.getTable(env, input.args['table'] ?? '')
    const name = input.args['column'] ?? ''
    const column = table.columns.find((c) => c.name === name)
    if (column === undefined) {
      throw new AppError('COLUMN_NOT_FOUND', `Table '${table.name}' has no column '${name}'.`)
    }
    if (column.options.secured !== true) {
      throw new AppError(
        'VALIDATION',
        `Column '${table.name}.${column.name}' is not secured; secure it first (strongroom column secure).`,
      )
    }
    const flag = (o: string) => (input.options[o] === true ? FIELD_PERMISSION_ALLOWED : 0)
    const values = { canread: flag('read'), cancreate: flag('create'), canupdate: flag('update') }
    const existing = await app.records.queryRecords(
      env,
      'fieldpermission',
      { count: false, select: ['fieldpermissionid'] },
      {
        where: (eb) =>
          eb.and([
            eb(eb.ref('fieldsecurityprofileid'), '=', profile),
            eb(eb.ref('entityname'), '=', table.name),
            eb(eb.ref('attributelogicalname'), '=', column.name),
          ]),
        limit: 1,
      },
    )
    const row = existing.records[0]
    if (row === undefined) {
      await app.records.createRecord(
        env,
        'fieldpermission',
        {
          fieldsecurityprofileid: profile,
          entityname: table.name,
          attributelogicalname: column.name,
          ...values,
        },
        { actorId },
      )
    } else {
      await app.records.updateRecord(
        env,
        'fieldpermission',
        String(row['fieldpermissionid']),
        values,
        { actorId },
      )
    }
    return {
      profile,
      column: `${table.name}.${column.name}`,
      read: values.canread !== 0,
      create: values.cancreate !== 0,
      update: values.canupdate !== 0,
    }
  },
  human: (r) =>
    `Profile ${r.profile} on ${r.column}: read ${r.read ? 'allowed' : 'not allowed'}, create ${r.create ? 'allowed' : 'not allowed'}, update ${r.update ? 'allowed' : 'not allowed'}.\n`,
})

export const fspAddMember = defineCommand({
  name: 'fsp add-member',
  summary:
    'Add a user (--user <systemuserid>) or a team (--team <teamid>) to a field security profile.',
  args: ['profile'],
  options: {
    ...ENV_OPTIONS,
    user: { type: 'string', description: 'systemuserid' },
    team: { type: 'string', description: 'teamid' },
  },
  async run(input) {
    const { app, env, actorId } = await dataContext(input)
    const profile = await profileId(app, env, input.args['profile'] ?? '')
    const user = stringOption(input, 'user')
    const team = stringOption(input, 'team')
    if ((user === undefined) === (team === undefined)) {
      throw new AppError('VALIDATION', 'Give exactly one of --user and --team.')
    }
    const id =
      user !== undefined
        ? await app.records.createRecord(
            env,
            'systemuserprofiles',
            { systemuserid: user, fieldsecurityprofileid: profile },
            { actorId },
          )
        : await app.records.createRecord(
            env,
            'teamprofiles',
            { teamid: team ?? requiredOption(input, 'team'), fieldsecurityprofileid: profile },
            { actorId },
          )
    return { id, profile, ...(user !== undefined ? { user } : { team: team ?? '' }) }
  },
  human: (r) => `${r.id}\n`,
})
