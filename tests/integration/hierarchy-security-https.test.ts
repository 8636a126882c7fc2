import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { privilegeIdOf } from '../../src/authz/index.ts'
import { ERRORS } from '../../src/shared/errors.ts'
import { cli, tempDir } from '../helpers/cli.ts'
import { startHttpsWorld, type HttpsWorld } from '../helpers/https-world.ts'

/**
 * Hierarchy security, manager model (docs/authz.md §15), over real HTTPS with application
 * users and the server's caller cache: the organization settings and the managers are changed
 * through the Web API (organizations, systemusers) or the CLI (another process's connection),
 * and each change applies on the very next request.
 */
describe('hierarchy security over the Web API', () => {
  const dir = tempDir('sr-hierarchy-')
  let w: HttpsWorld
  let orgId = ''
  let token: Record<string, string> = {}
  let user: Readonly<Record<string, string>> = {}
  const record: Record<string, string> = {}
  const env = ['--tenant', 'acme', '--env', 'prod']

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
  const names = async (who: string): Promise<string[]> => {
    const res = await api(who, 'GET', 'accounts?$select=name&$orderby=name')
    assert.equal(res.status, 200, res.body)
    return (JSON.parse(res.body) as { value: { name: string }[] }).value.map((r) => r.name)
  }
  const count = async (who: string): Promise<number> => {
    const res = await api(who, 'GET', 'accounts/$count')
    assert.equal(res.status, 200, res.body)
    return Number(res.body.replace(/^\uFEFF/, ''))
  }
  const setOrg = (values: Record<string, unknown>) =>
    api('admin', 'PATCH', `organizations(${orgId})`, values)
  const setManager = (who: string, manager: string | null) =>
    api(
      'admin',
      'PATCH',
      `systemusers(${user[who] ?? ''})`,
      manager === null
        ? { parentsystemuserid: null }
        : { 'parentsystemuserid@odata.bind': `/systemusers(${user[manager] ?? ''})` },
    )

  before(async () => {
    w = await startHttpsWorld(dir.path, [
      ['admin', 'System Administrator'],
      ['boss', 'Basic User'],
      ['mid', 'Basic User'],
      ['low', 'Basic User'],
    ])
    token = w.token
    user = w.user
    const orgs = await api('admin', 'GET', 'organizations?$select=organizationid')
    orgId = (JSON.parse(orgs.body) as { value: { organizationid: string }[] }).value[0]
      ?.organizationid as string
    // boss ← mid ← low (all in the root business unit); each creates one account.
    assert.equal((await setManager('mid', 'boss')).status, 204)
    assert.equal((await setManager('low', 'mid')).status, 204)
    for (const who of ['boss', 'mid', 'low']) {
      const res = await api(who, 'POST', 'accounts', { name: `${who}-account` })
      assert.equal(res.status, 204, res.body)
      record[who] = /accounts\(([^)]+)\)/.exec(String(res.headers['odata-entityid']))?.[1] ?? ''
    }
  })
  after(async () => {
    await w.stop()
    dir.remove()
  })

  it('is off by default: the settings read through organizations, a manager sees only its own', async () => {
    const res = await api(
      'boss',
      'GET',
      `organizations(${orgId})?$select=enablehierarchicalsecuritymodel,maxdepthforhierarchicalsecuritymodel,hierarchylevelforhierarchyfeature,managersmustbeinsameorparentbusinessunitasreports,hierarchysecurityexcludedtables`,
    )
    assert.equal(res.status, 200, res.body)
    const org = JSON.parse(res.body) as Record<string, unknown>
    assert.equal(org['enablehierarchicalsecuritymodel'], false)
    assert.equal(org['maxdepthforhierarchicalsecuritymodel'], 3)
    assert.equal(org['hierarchylevelforhierarchyfeature'], 1)
    assert.equal(org['managersmustbeinsameorparentbusinessunitasreports'], true)
    assert.equal(org['hierarchysecurityexcludedtables'], null)
    assert.deepEqual(await names('boss'), ['boss-account'])
    assert.equal((await api('boss', 'GET', `accounts(${record['mid'] ?? ''})`)).status, 404)
    // Reading the settings is not changing them: a Basic User can't.
    const denied = await api('boss', 'PATCH', `organizations(${orgId})`, {
      enablehierarchicalsecuritymodel: true,
    })
    assert.equal(denied.status, 403)
  })

  it('on: reports are readable to the depth, writable at depth 1 only; never deletable', async () => {
    assert.equal((await setOrg({ enablehierarchicalsecuritymodel: true })).status, 204)
    assert.deepEqual(await names('boss'), ['boss-account', 'low-account', 'mid-account'])
    assert.equal(await count('boss'), 3)
    assert.deepEqual(await names('mid'), ['low-account', 'mid-account'])
    assert.deepEqual(await names('low'), ['low-account'])
    const direct = await api('boss', 'PATCH', `accounts(${record['mid'] ?? ''})`, {
      name: 'mid-account',
      telephone1: '555',
    })
    assert.equal(direct.status, 204, direct.body)
    // low is two levels down: read-only (403 0x80048306, the record is readable).
    const deep = await api('boss', 'PATCH', `accounts(${record['low'] ?? ''})`, {
      telephone1: '555',
    })
    assert.equal(deep.status, 403, deep.body)
    assert.match(deep.body, /0x80048306/)
    assert.match(deep.body, /does not have WriteAccess right/)
    // The hierarchy gives no Delete (nor Assign or Share).
    const del = await api('boss', 'DELETE', `accounts(${record['mid'] ?? ''})`)
    assert.equal(del.status, 403, del.body)
    assert.match(del.body, /does not have DeleteAccess right/)
    // Two write levels: low becomes writable on the next request.
    assert.equal((await setOrg({ hierarchylevelforhierarchyfeature: 2 })).status, 204)
    const now = await api('boss', 'PATCH', `accounts(${record['low'] ?? ''})`, {
      telephone1: '556',
    })
    assert.equal(now.status, 204, now.body)
    assert.equal((await setOrg({ hierarchylevelforhierarchyfeature: 1 })).status, 204)
  })

  it('depth, exclusion and manager changes apply on the next request', async () => {
    assert.equal((await setOrg({ maxdepthforhierarchicalsecuritymodel: 1 })).status, 204)
    assert.deepEqual(await names('boss'), ['boss-account', 'mid-account'])
    assert.equal((await setOrg({ maxdepthforhierarchicalsecuritymodel: 3 })).status, 204)
    assert.equal((await setOrg({ hierarchysecurityexcludedtables: 'contact,account' })).status, 204)
    assert.deepEqual(await names('boss'), ['boss-account'])
    assert.equal((await setOrg({ hierarchysecurityexcludedtables: null })).status, 204)
    assert.deepEqual(await names('boss'), ['boss-account', 'low-account', 'mid-account'])
    // low moves from mid to boss: mid loses it at once.
    assert.equal((await setManager('low', 'boss')).status, 204)
    assert.deepEqual(await names('mid'), ['mid-account'])
    assert.equal((await setManager('low', 'mid')).status, 204)
    assert.deepEqual(await names('mid'), ['low-account', 'mid-account'])
  })

  it('$batch parts are decided the same way (read at depth 2, no write there)', async () => {
    const base = w.webApi
    const part = (line: string, body?: unknown) => [
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      line,
      ...(body === undefined ? [] : ['Content-Type: application/json']),
      '',
      ...(body === undefined ? [] : [JSON.stringify(body)]),
    ]
    const batch = (...parts: string[][]) =>
      send(
        'POST',
        `${base}$batch`,
        {
          authorization: `Bearer ${token['boss'] ?? ''}`,
          'content-type': 'multipart/mixed; boundary=batch_1',
        },
        [...parts.flatMap((p) => ['--batch_1', ...p]), '--batch_1--', ''].join('\r\n'),
      )
    const reads = await batch(
      part(`GET ${base}accounts?$select=name&$orderby=name HTTP/1.1`),
      part(`GET ${base}accounts(${record['low'] ?? ''})?$select=name HTTP/1.1`),
    )
    assert.equal(reads.status, 200, reads.body)
    assert.match(reads.body, /"boss-account".*"low-account".*"mid-account"/s)
    assert.equal((reads.body.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 2, reads.body)
    const write = await batch([
      'Content-Type: multipart/mixed; boundary=cs_1',
      '',
      '--cs_1',
      ...part(`PATCH ${base}accounts(${record['low'] ?? ''}) HTTP/1.1`, { telephone1: '1' }),
      '--cs_1--',
    ])
    assert.match(write.body, /HTTP\/1\.1 403 Forbidden/, write.body)
    assert.match(write.body, /0x80048306/)
  })

  it('refuses a cycle and out-of-range settings with 400 and a code', async () => {
    for (const [who, manager] of [
      ['boss', 'low'],
      ['boss', 'boss'],
    ] as const) {
      const res = await setManager(who, manager)
      assert.equal(res.status, 400, res.body)
      const error = (JSON.parse(res.body) as { error: { code: string; message: string } }).error
      assert.equal(error.code, ERRORS.RECORD_INVALID.wire)
      assert.match(error.message, /can't report to themselves or to one of their reports/)
    }
    for (const values of [
      { maxdepthforhierarchicalsecuritymodel: 0 },
      { maxdepthforhierarchicalsecuritymodel: -1 },
      { maxdepthforhierarchicalsecuritymodel: 101 },
      { hierarchylevelforhierarchyfeature: -1 },
      { hierarchylevelforhierarchyfeature: 1000 },
      { hierarchysecurityexcludedtables: 'account; drop table x' },
    ]) {
      const res = await setOrg(values)
      assert.equal(res.status, 400, `${JSON.stringify(values)}: ${res.body}`)
      const error = (JSON.parse(res.body) as { error: { code: string; message: string } }).error
      assert.equal(error.code, ERRORS.RECORD_INVALID.wire)
      assert.match(error.message, new RegExp(Object.keys(values)[0] ?? ''))
    }
    // Nothing changed.
    assert.deepEqual(await names('boss'), ['boss-account', 'low-account', 'mid-account'])
  })

  it('changing a setting needs prvChangeHierarchySecuritySettings besides Write on the organization', async () => {
    const units = await api('admin', 'GET', 'businessunits?$select=businessunitid')
    const root = (JSON.parse(units.body) as { value: { businessunitid: string }[] }).value[0]
    const created = await api('admin', 'POST', 'roles', {
      name: 'Organization writer',
      'businessunitid@odata.bind': `/businessunits(${root?.businessunitid ?? ''})`,
    })
    assert.equal(created.status, 204, created.body)
    const roleId = /roles\(([^)]+)\)/.exec(String(created.headers['odata-entityid']))?.[1] ?? ''
    const privileges = (names: string[]) => ({
      Privileges: names.map((n) => ({
        PrivilegeId: privilegeIdOf(n),
        Depth: 'Global',
        BusinessUnitId: root?.businessunitid,
      })),
    })
    const add = (names: string[]) =>
      api(
        'admin',
        'POST',
        `roles(${roleId})/Microsoft.Dynamics.CRM.AddPrivilegesRole`,
        privileges(names),
      )
    assert.equal((await add(['prvReadorganization', 'prvWriteorganization'])).status, 204)
    const assign = await api(
      'admin',
      'POST',
      `systemusers(${user['low'] ?? ''})/systemuserroles_association/$ref`,
      {
        '@odata.id': `roles(${roleId})`,
      },
    )
    assert.equal(assign.status, 204, assign.body)
    // Other organization columns: Write is enough.
    assert.equal(
      (await api('low', 'PATCH', `organizations(${orgId})`, { name: 'Acme' })).status,
      204,
    )
    const refused = await api('low', 'PATCH', `organizations(${orgId})`, {
      maxdepthforhierarchicalsecuritymodel: 1,
    })
    assert.equal(refused.status, 403, refused.body)
    const error = (JSON.parse(refused.body) as { error: { code: string; message: string } }).error
    assert.equal(error.code, '0x80040220')
    assert.match(error.message, /missing prvChangeHierarchySecuritySettings privilege/)
    assert.equal((await add(['prvChangeHierarchySecuritySettings'])).status, 204)
    const allowed = await api('low', 'PATCH', `organizations(${orgId})`, {
      maxdepthforhierarchicalsecuritymodel: 3,
    })
    assert.equal(allowed.status, 204, allowed.body)
  })

  it('the CLI shows and changes the settings and managers; the next request follows', async () => {
    const shown = await cli(dir.path, ['hierarchy', 'show', ...env, '--json'])
    assert.equal(shown.code, 0, shown.stderr)
    assert.deepEqual(JSON.parse(shown.stdout), {
      enabled: true,
      depth: 3,
      'write-levels': 1,
      'same-bu': true,
      exclude: null,
    })
    const cleared = await cli(dir.path, [
      'hierarchy',
      'manager',
      user['low'] ?? '',
      '--none',
      ...env,
    ])
    assert.equal(cleared.code, 0, cleared.stderr)
    assert.deepEqual(await names('boss'), ['boss-account', 'mid-account'])
    const cycle = await cli(dir.path, [
      'hierarchy',
      'manager',
      user['boss'] ?? '',
      '--manager',
      user['mid'] ?? '',
      ...env,
    ])
    assert.equal(cycle.code, ERRORS.RECORD_INVALID.exit)
    assert.match(cycle.stderr, /can't report to themselves/)
    const off = await cli(dir.path, ['hierarchy', 'set', '--enabled', 'false', ...env])
    assert.equal(off.code, 0, off.stderr)
    assert.deepEqual(await names('boss'), ['boss-account'])
    const bad = await cli(dir.path, ['hierarchy', 'set', '--depth', '0', ...env])
    assert.equal(bad.code, ERRORS.RECORD_INVALID.exit)
    const usage = await cli(dir.path, ['hierarchy', 'set', ...env])
    assert.equal(usage.code, ERRORS.USAGE.exit)
  })
})
