import {
  addUserToRecordTeam,
  createTeamTemplate,
  deleteTeamTemplate,
  removeUserFromRecordTeam,
} from '../../authz/index.ts'
import { defineCommand, requiredOption, stringOption } from '../command.ts'
import { formatTable } from '../io.ts'
import { ENV_OPTIONS } from './data-context.ts'
import { accessOption } from './record-share.ts'
import { teamContext } from './team.ts'

export const teamTemplateCreate = defineCommand({
  name: 'team template create',
  summary:
    'Create an access team template: a table and the rights its record access teams get; prints its id.',
  args: ['name'],
  options: {
    ...ENV_OPTIONS,
    table: { type: 'string', description: 'Logical name of a user-owned table', required: true },
    access: {
      type: 'string',
      description: 'Rights, comma-separated: read, write, append, appendto, delete, share, assign',
      required: true,
    },
    description: { type: 'string', description: 'Description' },
  },
  async run(input) {
    const ctx = await teamContext(input)
    const description = stringOption(input, 'description')
    const id = await createTeamTemplate(ctx.deps, ctx.caller, {
      name: input.args['name'] ?? '',
      table: requiredOption(input, 'table'),
      accessMask: accessOption(requiredOption(input, 'access')),
      ...(description === undefined ? {} : { description }),
    })
    return { id }
  },
  human: (r) => `${r.id}\n`,
})

export const teamTemplateList = defineCommand({
  name: 'team template list',
  summary: 'List the access team templates of an environment.',
  args: [],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const { app, env } = await teamContext(input)
    const result = await app.records.queryRecords(
      env,
      'teamtemplate',
      {
        count: false,
        select: ['teamtemplateid', 'teamtemplatename', 'objecttypecode', 'defaultaccessrightsmask'],
      },
      { limit: 100_000 },
    )
    return {
      templates: result.records.map((r) => ({
        teamtemplateid: String(r['teamtemplateid']),
        teamtemplatename: String(r['teamtemplatename']),
        objecttypecode: String(r['objecttypecode']),
        defaultaccessrightsmask: Number(r['defaultaccessrightsmask']),
      })),
    }
  },
  human: (r) =>
    formatTable(r.templates, [
      'teamtemplateid',
      'teamtemplatename',
      'objecttypecode',
      'defaultaccessrightsmask',
    ]),
})

export const teamTemplateDelete = defineCommand({
  name: 'team template delete',
  summary: 'Delete an access team template and every access team created from it.',
  args: ['template'],
  options: { ...ENV_OPTIONS },
  async run(input) {
    const ctx = await teamContext(input)
    const teams = await deleteTeamTemplate(ctx.deps, ctx.caller, input.args['template'] ?? '')
    return { template: input.args['template'], teamsDeleted: teams }
  },
  human: (r) => `Deleted the template and ${r.teamsDeleted} access team(s)\n`,
})

const RECORD_TEAM = {
  ...ENV_OPTIONS,
  user: { type: 'string', description: 'The systemuser id', required: true },
  template: { type: 'string', description: 'The team template id', required: true },
} as const

export const recordTeamAdd = defineCommand({
  name: 'record team add',
  summary:
    "Add a user to a record's access team of a template (AddUserToRecordTeam); prints the team id.",
  args: ['id'],
  options: RECORD_TEAM,
  async run(input) {
    const ctx = await teamContext(input)
    const teamId = await addUserToRecordTeam(ctx.deps, ctx.caller, {
      recordId: input.args['id'] ?? '',
      userId: requiredOption(input, 'user'),
      templateId: requiredOption(input, 'template'),
    })
    return { accessTeamId: teamId }
  },
  human: (r) => `${r.accessTeamId}\n`,
})

export const recordTeamRemove = defineCommand({
  name: 'record team remove',
  summary: "Remove a user from a record's access team of a template (RemoveUserFromRecordTeam).",
  args: ['id'],
  options: RECORD_TEAM,
  async run(input) {
    const ctx = await teamContext(input)
    const teamId = await removeUserFromRecordTeam(ctx.deps, ctx.caller, {
      recordId: input.args['id'] ?? '',
      userId: requiredOption(input, 'user'),
      templateId: requiredOption(input, 'template'),
    })
    return { accessTeamId: teamId }
  },
  human: (r) => `${r.accessTeamId}\n`,
})
