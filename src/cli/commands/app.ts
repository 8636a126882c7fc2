import { defineCommand, requiredOption } from '../command.ts'
import { formatTable } from '../io.ts'
import { ENV_OPTIONS } from './data-context.ts'

export const appCreate = defineCommand({
  name: 'app create',
  summary: 'Create an application user (OAuth client credentials) in an environment.',
  args: [],
  options: {
    ...ENV_OPTIONS,
    name: { type: 'string', description: 'Display name (the user’s full name)', required: true },
    role: {
      type: 'string',
      description: "Security role, e.g. 'System Administrator' or 'Basic User'",
      required: true,
    },
  },
  async run(input) {
    const { identity } = await input.app()
    const created = await identity.createApplicationUser({
      tenant: requiredOption(input, 'tenant'),
      environment: requiredOption(input, 'env'),
      name: requiredOption(input, 'name'),
      role: requiredOption(input, 'role'),
    })
    // The only place the secret is ever shown: it is not stored anywhere in readable form.
    const clientSecret = new TextDecoder().decode(created.clientSecret.expose())
    created.clientSecret.dispose()
    return {
      clientId: created.clientId,
      clientSecret,
      tokenEndpoint: created.tokenEndpoint,
      issuer: created.issuer,
      resource: created.resource,
      applicationUserId: created.applicationUserId,
    }
  },
  human: (r) =>
    [
      `Created application user ${r.applicationUserId}`,
      `client id:      ${r.clientId}`,
      `client secret:  ${r.clientSecret}`,
      `token endpoint: ${r.tokenEndpoint}`,
      `issuer:         ${r.issuer}`,
      `resource:       ${r.resource}`,
      '',
      'The client secret is shown only now. Store it in a secret store.',
    ].join('\n') + '\n',
})

export const appList = defineCommand({
  name: 'app list',
  summary: 'List the application users of an environment.',
  args: [],
  options: ENV_OPTIONS,
  async run(input) {
    const { identity } = await input.app()
    const apps = await identity.listApplicationUsers({
      tenant: requiredOption(input, 'tenant'),
      environment: requiredOption(input, 'env'),
    })
    return apps.map((a) => ({
      clientId: a.clientId,
      name: a.name,
      applicationUserId: a.applicationUserId,
      createdAt: a.createdAt,
    }))
  },
  human: (rows) => formatTable(rows, ['name', 'clientId', 'applicationUserId', 'createdAt']),
})

export const appDelete = defineCommand({
  name: 'app delete',
  summary: 'Delete an application user: its client and tokens stop working at once.',
  args: ['clientId'],
  options: ENV_OPTIONS,
  async run(input) {
    const { identity } = await input.app()
    return identity.deleteApplicationUser({
      tenant: requiredOption(input, 'tenant'),
      environment: requiredOption(input, 'env'),
      clientId: input.args['clientId'] ?? '',
    })
  },
  human: (r) => `Deleted application ${r.clientId}; its user ${r.applicationUserId} is disabled\n`,
})

export const appGroups = defineCommand({
  name: 'app groups',
  summary:
    "Set the Entra group object ids an application's tokens carry (groups claim; group teams).",
  args: ['clientId'],
  options: {
    ...ENV_OPTIONS,
    groups: {
      type: 'string',
      description: 'Comma-separated group object ids (GUIDs, at most 200); empty to clear',
      required: true,
    },
  },
  async run(input) {
    const { identity } = await input.app()
    const list = requiredOption(input, 'groups')
    const groups = await identity.setApplicationGroups({
      tenant: requiredOption(input, 'tenant'),
      environment: requiredOption(input, 'env'),
      clientId: input.args['clientId'] ?? '',
      groups: list
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g !== ''),
    })
    return { clientId: (input.args['clientId'] ?? '').toLowerCase(), groups }
  },
  human: (r) =>
    `Tokens of ${r.clientId} issued from now on carry ${r.groups.length} group(s)${r.groups.length === 0 ? '' : `: ${r.groups.join(', ')}`}.\n`,
})
