import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { after, before, describe, it } from 'node:test'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { privilegeIdOf } from '../../src/authz/index.ts'
import { ERRORS } from '../../src/shared/errors.ts'
import { cli, tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'

/**
 * Role administration end to end (docs/authz.md §10): changes made by the CLI (another
 * process's connection) or the Web API take effect on the very next request over HTTPS.
 */
describe('role assignment takes effect on the next request', () => {
  const dir = tempDir('sr-authz-admin-')
  let server: Strongroom
  let running: RunningServer
  let ca = ''
  const token: Record<string, string> = {}
  const user: Record<string, string> = {}
  const env = ['--tenant', 'acme', '--env', 'prod']

  const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method, ca, headers }, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text })
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  const api = (who: string, method: string, path: string, body?: unknown) =>
    send(
      method,
      `${running.baseUrl}/acme/prod/api/data/v9.2/${path}`,
      {
        authorization: `Bearer ${token[who] ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body === undefined ? undefined : JSON.stringify(body),
    )

  before(async () => {
    server = await openApp(dir.path, { init: true })
    await createTenant(server.control, { name: 'acme', actor: 'test' })
    await createEnvironment(server.control, { tenant: 'acme', name: 'prod', actor: 'test' })
    running = await startServer(server, testDeps, { host: '127.0.0.1', port: 0 })
    ca = readFileSync(running.caCertFile ?? '', 'utf8')
    for (const [name, role] of [
      ['admin', 'System Administrator'],
      ['reader', 'Basic User'],
      ['member', 'Delegate'],
    ] as const) {
      const app = await server.identity.createApplicationUser({
        tenant: 'acme',
        environment: 'prod',
        name,
        role,
      })
      user[name] = app.applicationUserId
      const secret = Buffer.from(app.clientSecret.expose()).toString()
      const res = await send(
        'POST',
        app.tokenEndpoint.replace(/^https:\/\/localhost:\d+/, running.baseUrl),
        {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${app.clientId}:${secret}`).toString('base64')}`,
        },
        new URLSearchParams({
          grant_type: 'client_credentials',
          resource: `${running.baseUrl}/acme/prod/`,
        }).toString(),
      )
      token[name] = (JSON.parse(res.body) as { access_token: string }).access_token
    }
  })
  after(async () => {
    await running.stop()
    await server.close()
    dir.remove()
  })

  it('a role removed with the CLI: the next Web API request is refused; assigned back: allowed', async () => {
    assert.equal((await api('reader', 'GET', 'accounts?$select=name')).status, 200)
    const removed = await cli(dir.path, [
      'role',
      'unassign',
      'Basic User',
      '--user',
      user['reader'] ?? '',
      ...env,
    ])
    assert.equal(removed.code, 0, removed.stderr)
    const refused = await api('reader', 'GET', 'accounts?$select=name')
    assert.equal(refused.status, 403)
    assert.match(refused.body, /missing prvReadaccount privilege/)
    const again = await cli(dir.path, [
      'role',
      'assign',
      'Basic User',
      '--user',
      user['reader'] ?? '',
      ...env,
    ])
    assert.equal(again.code, 0, again.stderr)
    assert.equal((await api('reader', 'GET', 'accounts?$select=name')).status, 200)
  })

  it('the last System Administrator can not be removed; Support User can not be assigned', async () => {
    const last = await cli(dir.path, [
      'role',
      'unassign',
      'System Administrator',
      '--user',
      user['admin'] ?? '',
      ...env,
    ])
    assert.equal(last.code, ERRORS.IN_USE.exit)
    assert.match(last.stderr, /last one that reaches an enabled user/)
    assert.equal((await api('admin', 'GET', 'WhoAmI')).status, 200)
    const support = await cli(dir.path, [
      'role',
      'assign',
      'Support User',
      '--user',
      user['reader'] ?? '',
      ...env,
    ])
    assert.equal(support.code, ERRORS.VALIDATION.exit)
    const listed = await cli(dir.path, ['role', 'list', ...env, '--json'])
    assert.equal(listed.code, 0)
    const roles = (JSON.parse(listed.stdout) as { roles: { name: string }[] }).roles
    assert.ok(roles.some((r) => r.name === 'Support User'))
    const usage = await cli(dir.path, ['role', 'assign', 'Basic User', ...env])
    assert.equal(usage.code, ERRORS.USAGE.exit)
  })

  it('systemuserroles_association $ref through the Web API, as Dataverse', async () => {
    const roles = await api('admin', 'GET', "roles?$select=roleid&$filter=name eq 'Delegate'")
    const delegate = (JSON.parse(roles.body) as { value: { roleid: string }[] }).value[0]?.roleid
    const path = `systemusers(${user['reader'] ?? ''})/systemuserroles_association`
    const add = await api('admin', 'POST', `${path}/$ref`, {
      '@odata.id': `${running.baseUrl}/acme/prod/api/data/v9.2/roles(${delegate ?? ''})`,
    })
    assert.equal(add.status, 204, add.body)
    const held = await api(
      'admin',
      'GET',
      `systemuserrolescollection?$filter=_systemuserid_value eq ${user['reader'] ?? ''}&$select=_roleid_value`,
    )
    assert.equal((JSON.parse(held.body) as { value: unknown[] }).value.length, 2)
    // Without prvAssignRole (Basic User): 403 naming it.
    const denied = await api('reader', 'DELETE', `${path}(${delegate ?? ''})/$ref`)
    assert.equal(denied.status, 403)
    assert.match(denied.body, /missing prvAssignRole privilege/)
    const remove = await api('admin', 'DELETE', `${path}(${delegate ?? ''})/$ref`)
    assert.equal(remove.status, 204, remove.body)
    const gone = await api('admin', 'DELETE', `${path}(${delegate ?? ''})/$ref`)
    assert.equal(gone.status, 404)
  })

  it('team membership changed with the CLI or the Web API applies on the next request', async () => {
    // Delegate has no record privileges: accounts are refused until a team gives Basic User.
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 403)
    const team = await cli(dir.path, ['team', 'create', 'Sales', ...env])
    assert.equal(team.code, 0, team.stderr)
    const teamId = team.stdout.trim()
    const role = await cli(dir.path, ['role', 'assign', 'Basic User', '--team', teamId, ...env])
    assert.equal(role.code, 0, role.stderr)
    const member = user['member'] ?? ''
    const add = await cli(dir.path, ['team', 'add-member', teamId, '--user', member, ...env])
    assert.equal(add.code, 0, add.stderr)
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 200)
    const remove = await cli(dir.path, ['team', 'remove-member', teamId, '--user', member, ...env])
    assert.equal(remove.code, 0, remove.stderr)
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 403)
    // The Web API: AddMembersTeam / RemoveMembersTeam and teammembership_association $ref.
    const members = {
      Members: [{ '@odata.type': 'Microsoft.Dynamics.CRM.systemuser', systemuserid: member }],
    }
    const added = await api(
      'admin',
      'POST',
      `teams(${teamId})/Microsoft.Dynamics.CRM.AddMembersTeam`,
      members,
    )
    assert.equal(added.status, 204, added.body)
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 200)
    const removed = await api(
      'admin',
      'POST',
      `teams(${teamId})/Microsoft.Dynamics.CRM.RemoveMembersTeam`,
      members,
    )
    assert.equal(removed.status, 204, removed.body)
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 403)
    const ref = await api('admin', 'POST', `teams(${teamId})/teammembership_association/$ref`, {
      '@odata.id': `systemusers(${member})`,
    })
    assert.equal(ref.status, 204, ref.body)
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 200)
    const unref = await api(
      'admin',
      'DELETE',
      `teams(${teamId})/teammembership_association(${member})/$ref`,
    )
    assert.equal(unref.status, 204, unref.body)
    assert.equal((await api('member', 'GET', 'accounts?$select=name')).status, 403)
    // Without prvWriteteam: 403; a default team's members are derived: 400.
    const denied = await api(
      'reader',
      'POST',
      `teams(${teamId})/Microsoft.Dynamics.CRM.AddMembersTeam`,
      members,
    )
    assert.equal(denied.status, 403)
    const teams = await api('admin', 'GET', 'teams?$select=teamid&$filter=isdefault eq true')
    const defaultTeam = (JSON.parse(teams.body) as { value: { teamid: string }[] }).value[0]?.teamid
    const onDefault = await api(
      'admin',
      'POST',
      `teams(${defaultTeam ?? ''})/Microsoft.Dynamics.CRM.AddMembersTeam`,
      members,
    )
    assert.equal(onDefault.status, 400)
    const listed = await cli(dir.path, ['team', 'list', ...env, '--json'])
    assert.ok(
      (JSON.parse(listed.stdout) as { teams: { name: string }[] }).teams.some(
        (t) => t.name === 'Sales',
      ),
    )
  })

  it('role privileges through the Web API and the CLI apply on the next request', async () => {
    const member = user['member'] ?? ''
    const bus = await api('admin', 'GET', 'businessunits?$select=businessunitid')
    const root = (JSON.parse(bus.body) as { value: { businessunitid: string }[] }).value[0]
    const created = await api('admin', 'POST', 'roles', {
      name: 'Contact reader',
      'businessunitid@odata.bind': `/businessunits(${root?.businessunitid ?? ''})`,
    })
    assert.equal(created.status, 204, created.body)
    const roles = await api('admin', 'GET', "roles?$select=roleid&$filter=name eq 'Contact reader'")
    const roleId =
      (JSON.parse(roles.body) as { value: { roleid: string }[] }).value[0]?.roleid ?? ''
    const assign = await api(
      'admin',
      'POST',
      `systemusers(${member})/systemuserroles_association/$ref`,
      {
        '@odata.id': `roles(${roleId})`,
      },
    )
    assert.equal(assign.status, 204, assign.body)
    assert.equal((await api('member', 'GET', 'contacts?$select=fullname')).status, 403)
    const privilegeId = privilegeIdOf('prvReadcontact')
    const add = await api(
      'admin',
      'POST',
      `roles(${roleId})/Microsoft.Dynamics.CRM.AddPrivilegesRole`,
      {
        Privileges: [
          { PrivilegeId: privilegeId, Depth: 'Global', BusinessUnitId: root?.businessunitid },
        ],
      },
    )
    assert.equal(add.status, 204, add.body)
    assert.equal((await api('member', 'GET', 'contacts?$select=fullname')).status, 200)
    const listed = await api(
      'admin',
      'GET',
      `roles(${roleId})/Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRole()`,
    )
    assert.equal(listed.status, 200, listed.body)
    assert.deepEqual((JSON.parse(listed.body) as { RolePrivileges: unknown[] }).RolePrivileges, [
      {
        Depth: 'Global',
        PrivilegeId: privilegeId,
        BusinessUnitId: root?.businessunitid,
        PrivilegeName: 'prvReadcontact',
      },
    ])
    const remove = await api(
      'admin',
      'POST',
      `roles(${roleId})/Microsoft.Dynamics.CRM.RemovePrivilegeRole`,
      {
        PrivilegeId: privilegeId,
      },
    )
    assert.equal(remove.status, 204, remove.body)
    assert.equal((await api('member', 'GET', 'contacts?$select=fullname')).status, 403)
    // The CLI: add at a depth, show, remove.
    const cliAdd = await cli(dir.path, [
      'role',
      'add-privilege',
      'Contact reader',
      '--privilege',
      'prvReadcontact',
      '--depth',
      'global',
      ...env,
    ])
    assert.equal(cliAdd.code, 0, cliAdd.stderr)
    assert.equal((await api('member', 'GET', 'contacts?$select=fullname')).status, 200)
    const shown = await cli(dir.path, ['role', 'show', 'Contact reader', ...env, '--json'])
    assert.deepEqual((JSON.parse(shown.stdout) as { privileges: unknown[] }).privileges, [
      { privilege: 'prvReadcontact', privilegeid: privilegeId, depth: 'global' },
    ])
    const cliRemove = await cli(dir.path, [
      'role',
      'remove-privilege',
      'Contact reader',
      '--privilege',
      'prvReadcontact',
      ...env,
    ])
    assert.equal(cliRemove.code, 0, cliRemove.stderr)
    assert.equal((await api('member', 'GET', 'contacts?$select=fullname')).status, 403)
    // Refusals: System Administrator's privileges are fixed; a depth an organization-owned
    // table doesn't have; a caller without prvWriterole.
    const sa = await cli(dir.path, [
      'role',
      'add-privilege',
      'System Administrator',
      '--privilege',
      'prvReadcontact',
      '--depth',
      'global',
      ...env,
    ])
    assert.equal(sa.code, ERRORS.VALIDATION.exit)
    const orgDepth = await cli(dir.path, [
      'role',
      'add-privilege',
      'Contact reader',
      '--privilege',
      'prvReadteam',
      '--depth',
      'basic',
      ...env,
    ])
    assert.equal(orgDepth.code, ERRORS.VALIDATION.exit)
    const denied = await api(
      'reader',
      'POST',
      `roles(${roleId})/Microsoft.Dynamics.CRM.AddPrivilegesRole`,
      {
        Privileges: [{ PrivilegeId: privilegeId, Depth: 'Basic' }],
      },
    )
    assert.equal(denied.status, 403)
    // ReplacePrivilegesRole: exactly the given set (custom roles only).
    const replaced = await api(
      'admin',
      'POST',
      `roles(${roleId})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole`,
      {
        Privileges: [{ PrivilegeId: privilegeIdOf('prvReadaccount'), Depth: 'Local' }],
      },
    )
    assert.equal(replaced.status, 204, replaced.body)
    const afterReplace = await api(
      'admin',
      'GET',
      `roles(${roleId})/Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRole()`,
    )
    assert.deepEqual(
      (
        JSON.parse(afterReplace.body) as {
          RolePrivileges: { PrivilegeName: string; Depth: string }[]
        }
      ).RolePrivileges.map((p) => [p.PrivilegeName, p.Depth]),
      [['prvReadaccount', 'Local']],
    )
    const basicRoles = await api(
      'admin',
      'GET',
      "roles?$select=roleid&$filter=name eq 'System Administrator'",
    )
    const adminRoleId = (JSON.parse(basicRoles.body) as { value: { roleid: string }[] }).value[0]
      ?.roleid
    // System Administrator's privileges are fixed; other predefined roles are materialised
    // (src/authz/materialize-role.test.ts).
    const onPredefined = await api(
      'admin',
      'POST',
      `roles(${adminRoleId ?? ''})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole`,
      { Privileges: [] },
    )
    assert.equal(onPredefined.status, 400)
    assert.match(onPredefined.body, /can't be changed/)
    const emptied = await api(
      'admin',
      'POST',
      `roles(${roleId})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole`,
      { Privileges: [] },
    )
    assert.equal(emptied.status, 204, emptied.body)
    // RetrieveUserPrivileges: the user's privileges through every role (Delegate + Contact reader).
    await cli(dir.path, [
      'role',
      'add-privilege',
      'Contact reader',
      '--privilege',
      'prvReadcontact',
      '--depth',
      'global',
      ...env,
    ])
    const mine = await api(
      'admin',
      'GET',
      `systemusers(${member})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`,
    )
    assert.equal(mine.status, 200, mine.body)
    const held = (
      JSON.parse(mine.body) as { RolePrivileges: { PrivilegeName: string; Depth: string }[] }
    ).RolePrivileges
    assert.deepEqual(
      held.map((p) => [p.PrivilegeName, p.Depth]),
      [
        ['prvActOnBehalfOfAnotherUser', 'Global'],
        ['prvReadcontact', 'Global'],
      ],
    )
    const onRole = await api(
      'admin',
      'GET',
      `roles(${roleId})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`,
    )
    assert.equal(onRole.status, 404)
    const predefined = await cli(dir.path, ['role', 'show', 'Basic User', ...env, '--json'])
    const basic = (
      JSON.parse(predefined.stdout) as { privileges: { privilege: string; depth: string }[] }
    ).privileges
    assert.ok(basic.some((p) => p.privilege === 'prvReadaccount' && p.depth === 'basic'))
  })
})
