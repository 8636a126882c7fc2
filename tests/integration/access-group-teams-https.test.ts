import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import { ERRORS } from '../../src/shared/errors.ts'
import { cli, tempDir } from '../helpers/cli.ts'
import { startHttpsWorld, type HttpsWorld } from '../helpers/https-world.ts'

const GROUP = '0f8fad5b-d9cb-469f-a165-70867728950e'

/**
 * Access teams (team templates, AddUserToRecordTeam) and Entra group teams (membership from the
 * token's groups claim) end to end over HTTPS with the server's caller caches (docs/authz.md
 * §14): every change takes effect on the next request.
 */
describe('access teams and group teams over HTTPS', () => {
  const dir = tempDir('sr-teams-')
  let w: HttpsWorld
  let token: Record<string, string> = {}
  let user: Readonly<Record<string, string>> = {}
  const env = ['--tenant', 'acme', '--env', 'prod']
  let annAccount = ''
  let template = ''

  const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    w.send(method, url, headers, body)
  const api = (who: string, method: string, path: string, body?: unknown) =>
    send(
      method,
      `${w.webApi}${path}`,
      {
        authorization: `Bearer ${token[who] ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body === undefined ? undefined : JSON.stringify(body),
    )
  const fetchToken = (name: string): Promise<string> => w.fetchToken(name)
  const idOf = (res: { headers: Record<string, string> }): string =>
    /\(([0-9a-f-]{36})\)$/.exec(res.headers['odata-entityid'] ?? '')?.[1] ?? ''
  const recordTeam = (who: string, action: string, userName: string, over: object = {}) =>
    api(who, 'POST', `systemusers(${user[userName] ?? ''})/Microsoft.Dynamics.CRM.${action}`, {
      Record: { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: annAccount },
      TeamTemplate: { teamtemplateid: template },
      ...over,
    })

  before(async () => {
    w = await startHttpsWorld(dir.path, [
      ['admin', 'System Administrator'],
      ['ann', 'Basic User'],
      ['ben', 'Basic User'],
      ['dan', 'Delegate'],
    ])
    token = w.token
    user = w.user
    const created = await api('ann', 'POST', 'accounts', { name: 'Ann Co' })
    assert.equal(created.status, 204, created.body)
    annAccount = idOf(created)
  })
  after(async () => {
    await w.stop()
    dir.remove()
  })

  it('team templates: created through the domain function (limits, validation), listed by the CLI', async () => {
    const bad = await api('admin', 'POST', 'teamtemplates', {
      teamtemplatename: 'Org-owned',
      objecttypecode: 'businessunit',
      defaultaccessrightsmask: 1,
    })
    assert.equal(bad.status, 400)
    const denied = await api('ann', 'POST', 'teamtemplates', {
      teamtemplatename: 'Mine',
      objecttypecode: 'account',
      defaultaccessrightsmask: 1,
    })
    assert.equal(denied.status, 403)
    assert.match(denied.body, /0x80040220/)
    const created = await api('admin', 'POST', 'teamtemplates', {
      teamtemplatename: 'Account team',
      objecttypecode: 'account',
      defaultaccessrightsmask: 3,
    })
    assert.equal(created.status, 204, created.body)
    template = idOf(created)
    // PATCH: the table is fixed, the mask must be AccessRights flags, no upsert-create.
    const retable = await api('admin', 'PATCH', `teamtemplates(${template})`, {
      objecttypecode: 'contact',
    })
    assert.equal(retable.status, 400)
    assert.match(retable.body, /table can't be changed/)
    const zero = await api('admin', 'PATCH', `teamtemplates(${template})`, {
      defaultaccessrightsmask: 0,
    })
    assert.equal(zero.status, 400)
    const upsert = await api('admin', 'PATCH', `teamtemplates(${user['ann'] ?? ''})`, {
      teamtemplatename: 'Around the limits',
    })
    assert.equal(upsert.status, 404)
    const renamed = await api('admin', 'PATCH', `teamtemplates(${template})`, {
      teamtemplatename: 'Account team',
      description: 'read and write',
    })
    assert.equal(renamed.status, 204, renamed.body)
    const byCli = await cli(dir.path, [
      'team',
      'template',
      'create',
      'Readers',
      '--table',
      'account',
      '--access',
      'read',
      ...env,
    ])
    assert.equal(byCli.code, 0, byCli.stderr)
    const third = await cli(dir.path, [
      'team',
      'template',
      'create',
      'Third',
      '--table',
      'account',
      '--access',
      'read',
      ...env,
    ])
    assert.equal(third.code, ERRORS.TEAM_TEMPLATE_LIMIT.exit)
    assert.match(third.stderr, /TEAM_TEMPLATE_LIMIT/)
    const listed = await cli(dir.path, ['team', 'template', 'list', ...env, '--json'])
    const templates = (JSON.parse(listed.stdout) as { templates: { teamtemplatename: string }[] })
      .templates
    assert.deepEqual(templates.map((t) => t.teamtemplatename).sort(), ['Account team', 'Readers'])
    const removed = await cli(dir.path, ['team', 'template', 'delete', byCli.stdout.trim(), ...env])
    assert.equal(removed.code, 0, removed.stderr)
  })

  it('AddUserToRecordTeam / RemoveUserFromRecordTeam: access on the next request, and refusals', async () => {
    assert.equal((await api('ben', 'GET', `accounts(${annAccount})`)).status, 404)
    const added = await recordTeam('ann', 'AddUserToRecordTeam', 'ben')
    assert.equal(added.status, 200, added.body)
    const teamId = (JSON.parse(added.body) as { AccessTeamId: string }).AccessTeamId
    assert.match(teamId, /^[0-9a-f-]{36}$/)
    assert.equal((await api('ben', 'GET', `accounts(${annAccount})`)).status, 200)
    const patched = await api('ben', 'PATCH', `accounts(${annAccount})`, { name: 'Ann Co.' })
    assert.equal(patched.status, 204, patched.body)
    // The access team holds no roles and owns nothing.
    const role = await api('admin', 'POST', `teams(${teamId})/teamroles_association/$ref`, {
      '@odata.id': `${w.webApi}roles(${teamId})`,
    })
    assert.equal(role.status, 404) // no role has that id: checked first
    const own = await api('admin', 'POST', 'accounts', {
      name: 'Owned by an access team',
      'ownerid@odata.bind': `/teams(${teamId})`,
    })
    assert.equal(own.status, 400)
    assert.match(own.body, /access team can't own records/)

    // dan holds no privilege on account: Dataverse's message, 403.
    const refused = await recordTeam('ann', 'AddUserToRecordTeam', 'dan')
    assert.equal(refused.status, 403)
    const error = (JSON.parse(refused.body) as { error: { code: string; message: string } }).error
    assert.equal(error.code, '0x80040220')
    assert.equal(
      error.message,
      "You can't add the user to the access team because the user doesn't have sufficient privileges on the entity.",
    )
    // ben can't manage the record's team: no Share on it (the template's rights only).
    const noShare = await recordTeam('ben', 'AddUserToRecordTeam', 'ben')
    assert.equal(noShare.status, 403)
    assert.match(noShare.body, /0x80048306/)
    const malformed = await recordTeam('ann', 'AddUserToRecordTeam', 'ben', { Extra: 1 })
    assert.equal(malformed.status, 400)
    const onTeam = await api(
      'ann',
      'POST',
      `teams(${teamId})/Microsoft.Dynamics.CRM.AddUserToRecordTeam`,
      {},
    )
    assert.equal(onTeam.status, 404)

    const left = await recordTeam('ann', 'RemoveUserFromRecordTeam', 'ben')
    assert.equal(left.status, 200, left.body)
    assert.equal((await api('ben', 'GET', `accounts(${annAccount})`)).status, 404)

    // The CLI adds ben back; deleting the template deletes the team and its share.
    const cliAdd = await cli(dir.path, [
      'record',
      'team',
      'add',
      annAccount,
      '--user',
      user['ben'] ?? '',
      '--template',
      template,
      ...env,
    ])
    assert.equal(cliAdd.code, 0, cliAdd.stderr)
    assert.equal(cliAdd.stdout.trim(), teamId)
    assert.equal((await api('ben', 'GET', `accounts(${annAccount})`)).status, 200)
    const gone = await api('admin', 'DELETE', `teamtemplates(${template})`)
    assert.equal(gone.status, 204, gone.body)
    assert.equal((await api('ben', 'GET', `accounts(${annAccount})`)).status, 404)
    assert.equal((await api('admin', 'GET', `teams(${teamId})`)).status, 404)
  })

  it('group teams: membership from the token groups claim, per token, at the next request', async () => {
    const team = await cli(dir.path, [
      'team',
      'create',
      'Sales group',
      '--type',
      'security-group',
      '--group',
      GROUP,
      ...env,
    ])
    assert.equal(team.code, 0, team.stderr)
    const teamId = team.stdout.trim()
    const created = await api('admin', 'POST', 'accounts', {
      name: 'Group Co',
      'ownerid@odata.bind': `/teams(${teamId})`,
    })
    assert.equal(created.status, 204, created.body)
    const groupAccount = idOf(created)
    const withoutGroups = token['ben'] ?? ''
    assert.equal((await api('ben', 'GET', `accounts(${groupAccount})`)).status, 404)

    const set = await cli(dir.path, [
      'app',
      'groups',
      w.apps['ben']?.clientId ?? '',
      '--groups',
      GROUP.toUpperCase(),
      ...env,
    ])
    assert.equal(set.code, 0, set.stderr)
    token['ben'] = await fetchToken('ben')
    assert.deepEqual(decodeJwt(token['ben'])['groups'], [GROUP])
    assert.equal((await api('ben', 'GET', `accounts(${groupAccount})`)).status, 200)
    // The token without the claim is another caller (the caches key on the group set).
    token['old'] = withoutGroups
    assert.equal((await api('old', 'GET', `accounts(${groupAccount})`)).status, 404)
    assert.equal((await api('ben', 'GET', `accounts(${groupAccount})`)).status, 200)

    // A role on the group team applies to its members (dan has no record privilege).
    assert.equal((await api('dan', 'GET', 'accounts')).status, 403)
    const groupsForDan = await cli(dir.path, [
      'app',
      'groups',
      w.apps['dan']?.clientId ?? '',
      '--groups',
      GROUP,
      ...env,
    ])
    assert.equal(groupsForDan.code, 0, groupsForDan.stderr)
    const assigned = await cli(dir.path, ['role', 'assign', 'Basic User', '--team', teamId, ...env])
    assert.equal(assigned.code, 0, assigned.stderr)
    token['dan'] = await fetchToken('dan')
    const listed = await api('dan', 'GET', 'accounts?$select=name')
    assert.equal(listed.status, 200, listed.body)
    assert.deepEqual(
      (JSON.parse(listed.body) as { value: { name: string }[] }).value.map((a) => a.name),
      ['Group Co'],
    )

    // Group membership is not stored: AddMembersTeam on a group team is refused.
    const add = await api(
      'admin',
      'POST',
      `teams(${teamId})/Microsoft.Dynamics.CRM.AddMembersTeam`,
      {
        Members: [{ systemuserid: user['ann'] }],
      },
    )
    assert.equal(add.status, 400)

    // Leaving the group: the next token has no claim and no access.
    const cleared = await cli(dir.path, [
      'app',
      'groups',
      w.apps['ben']?.clientId ?? '',
      '--groups',
      '',
      ...env,
    ])
    assert.equal(cleared.code, 0, cleared.stderr)
    token['ben'] = await fetchToken('ben')
    assert.equal(decodeJwt(token['ben'])['groups'], undefined)
    assert.equal((await api('ben', 'GET', `accounts(${groupAccount})`)).status, 404)
    const badGroups = await cli(dir.path, [
      'app',
      'groups',
      w.apps['ben']?.clientId ?? '',
      '--groups',
      'not-a-guid',
      ...env,
    ])
    assert.equal(badGroups.code, ERRORS.VALIDATION.exit)
  })
})
