import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Caller } from '../../src/api/context.ts'
import {
  loadFieldPermissions,
  loadSecurityContext,
  privilegeIdOf,
  privilegeName,
  securityRowsOf,
  type Right,
} from '../../src/authz/index.ts'
import type { Strongroom } from '../../src/app.ts'
import type { EnvironmentId } from '../../src/shared/ids.ts'
import { openBatchFixture, readBatchResponse, type BatchFixture } from '../helpers/batch-fixture.ts'
import { odataFixture, type Answer, type ODataFixture } from '../helpers/odata-fixture.ts'

type Row = Record<string, unknown>

/** The secret values: no answer to a caller without access may contain any of them. */
const SECRETS = ['SECRET-ALPHA', 'SECRET-BETA', 'JOB-SECRET']

interface World {
  readonly id: Record<string, string>
  /** Resolves a user as the server does (security context and field permissions). */
  readonly caller: (user: string) => Promise<Caller>
}

/**
 * A world for column security: accounts with a secured accountnumber (string) and creditlimit
 * (currency), contacts with a secured jobtitle. alice, bob and carol hold Organization
 * Read/Write/Create on account and contact. bob's team is in profile "Finance" (accountnumber
 * read/create/update, creditlimit read, jobtitle read). carol has no profile but a per-record
 * share: Alpha's accountnumber for read, Alpha's creditlimit for update.
 */
async function buildWorld(app: Strongroom, env: EnvironmentId, system: string, bu: string) {
  const id: Record<string, string> = {}
  const create = (table: string, data: Row) =>
    app.records.createRecord(env, table, data, { actorId: system })
  for (const [table, column] of [
    ['account', 'accountnumber'],
    ['account', 'creditlimit'],
    ['contact', 'jobtitle'],
  ] as const) {
    await app.records.setColumnSecured(env, table, column, true)
  }
  id['role'] = await create('role', { name: 'Org data', businessunitid: bu })
  for (const table of ['account', 'contact']) {
    for (const right of ['Read', 'Write', 'Create'] as Right[]) {
      await create('roleprivileges', {
        roleid: id['role'],
        privilegeid: privilegeIdOf(privilegeName(right, table)),
        privilegedepthmask: 8,
      })
    }
  }
  for (const user of ['alice', 'bob', 'carol']) {
    id[user] = await create('systemuser', { fullname: user, businessunitid: bu })
    await create('systemuserroles', { systemuserid: id[user], roleid: id['role'] })
  }
  id['finance'] = await create('team', { name: 'Finance', teamtype: 0, businessunitid: bu })
  await create('teammembership', { systemuserid: id['bob'], teamid: id['finance'] })
  id['profile'] = await create('fieldsecurityprofile', { name: 'Finance' })
  const grant = (table: string, column: string, read: number, c: number, u: number) =>
    create('fieldpermission', {
      fieldsecurityprofileid: id['profile'],
      entityname: table,
      attributelogicalname: column,
      canread: read,
      cancreate: c,
      canupdate: u,
    })
  await grant('account', 'accountnumber', 4, 4, 4)
  await grant('account', 'creditlimit', 4, 0, 0)
  await grant('contact', 'jobtitle', 4, 0, 0)
  await create('teamprofiles', { teamid: id['finance'], fieldsecurityprofileid: id['profile'] })
  id['alpha'] = await create('account', {
    name: 'Alpha',
    accountnumber: 'SECRET-ALPHA',
    creditlimit: 700,
  })
  id['beta'] = await create('account', {
    name: 'Beta',
    accountnumber: 'SECRET-BETA',
    creditlimit: 300,
  })
  id['gamma'] = await create('account', { name: 'Gamma' })
  id['c1'] = await create('contact', {
    firstname: 'Cee',
    lastname: 'One',
    jobtitle: 'JOB-SECRET',
    parentcustomerid: id['alpha'],
  })
  const share = (column: string, read: boolean, update: boolean) =>
    create('principalobjectattributeaccess', {
      objectid: id['alpha'],
      objecttypecode: 'account',
      attributelogicalname: column,
      principalid: id['carol'],
      principaltypecode: 'systemuser',
      readaccess: read,
      updateaccess: update,
    })
  id['share_number'] = await share('accountnumber', true, false)
  id['share_credit'] = await share('creditlimit', false, true)
  const caller = async (user: string): Promise<Caller> => {
    const rows = securityRowsOf(app.records, env)
    const userId = id[user] ?? ''
    const { security, roleNames } = await loadSecurityContext(rows, {
      systemUserId: userId,
      businessUnitId: bu,
    })
    const fieldPermissions = await loadFieldPermissions(
      rows,
      userId,
      security.teams.map((t) => t.teamId),
    )
    return {
      systemUserId: userId,
      businessUnitId: bu,
      roles: roleNames,
      security: { ...security, fieldPermissions },
    }
  }
  return { id, caller } satisfies World
}

const leaks = (answer: Answer | string): string[] => {
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer.body ?? null)
  return SECRETS.filter((s) => text.includes(s))
}

/**
 * Whether a response mentions the number `n` as a value: ids (GUIDs) and etags are left out
 * first, since a random GUID or a row version can contain the digits by chance.
 */
const mentions = (answer: Answer, n: number): boolean =>
  JSON.stringify(answer.body ?? null)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '')
    .replace(/W\/\\"[0-9]+\\"/g, '')
    .includes(String(n))

const refused = (answer: Answer, code = '0x8004f507'): void => {
  assert.equal(answer.status, 403, JSON.stringify(answer.body))
  assert.equal(answer.error?.code, code)
  assert.deepEqual(leaks(answer), [])
}

describe('column security leak suite (OData handler)', () => {
  let f: ODataFixture
  let w: World
  let alice: Caller
  let bob: Caller
  let carol: Caller
  const id = (name: string): string => w.id[name] ?? ''
  const get = (path: string, caller: Caller, query: Record<string, string> = {}) =>
    f.call('GET', path, { caller, query })
  const rows = (a: Answer): Row[] => a.json['value'] as Row[]
  const byName = (a: Answer): Record<string, Row> =>
    Object.fromEntries(rows(a).map((r) => [String(r['name']), r]))

  before(async () => {
    f = await odataFixture()
    w = await buildWorld(f.app, f.env.id, f.ids.systemUserId, f.ids.businessUnitId)
    alice = await w.caller('alice')
    bob = await w.caller('bob')
    carol = await w.caller('carol')
  })
  after(async () => {
    await f.close()
  })

  describe('a caller without a profile or share', () => {
    it('query: secured columns are null on every row, with and without $select', async () => {
      for (const query of [{}, { $select: 'name,accountnumber,creditlimit' }]) {
        const a = await get('accounts', alice, query)
        assert.equal(a.status, 200)
        for (const r of rows(a)) {
          assert.equal(r['accountnumber'], null)
          assert.equal(r['creditlimit'], null)
        }
        assert.deepEqual(leaks(a), [])
      }
    })

    it('formatted values of secured columns are not emitted', async () => {
      const a = await f.call('GET', 'accounts', {
        caller: alice,
        query: { $select: 'name,creditlimit' },
        headers: { Prefer: 'odata.include-annotations="*"' },
      })
      assert.equal(a.status, 200)
      assert.ok(!mentions(a, 700))
      for (const r of rows(a)) {
        assert.equal(r['creditlimit@OData.Community.Display.V1.FormattedValue'], undefined)
      }
    })

    it('retrieve and single-property GET: null, never the value', async () => {
      const a = await get(`accounts(${id('alpha')})`, alice)
      assert.equal(a.status, 200)
      assert.equal(a.json['accountnumber'], null)
      assert.equal(a.json['name'], 'Alpha')
      const p = await get(`accounts(${id('alpha')})/accountnumber`, alice)
      assert.equal(p.status, 204)
      const v = await get(`accounts(${id('alpha')})/accountnumber/$value`, alice)
      assert.equal(v.status, 204)
      assert.deepEqual(leaks(a), [])
    })

    const probes: Record<string, string> = {
      eq: "accountnumber eq 'SECRET-ALPHA'",
      ne: "accountnumber ne 'SECRET-ALPHA'",
      gt: 'creditlimit gt 500',
      le: 'creditlimit le 500',
      contains: "contains(accountnumber,'ALPHA')",
      startswith: "startswith(accountnumber,'SECRET')",
      endswith: "endswith(accountnumber,'BETA')",
      'eq null': 'accountnumber eq null',
      'ne null': 'accountnumber ne null',
      'null on the left': 'null ne creditlimit',
      and: "name eq 'Alpha' and accountnumber eq 'SECRET-ALPHA'",
      or: "name eq 'Nobody' or startswith(accountnumber,'S')",
      not: "not (accountnumber eq 'SECRET-ALPHA')",
      nested: "(name eq 'x' or (not (name eq 'y') and (creditlimit ge 0 or name eq 'z')))",
      'column to column': 'accountnumber eq name',
    }
    for (const [label, filter] of Object.entries(probes)) {
      it(`$filter probe refused: ${label}`, async () => {
        const a = await get('accounts', alice, { $filter: filter, $select: 'name' })
        refused(a)
        assert.match(a.error?.message ?? '', /account\.(accountnumber|creditlimit)/)
        assert.match(a.error?.message ?? '', /\$filter/)
        const c = await get('accounts/$count', alice, { $filter: filter })
        refused(c)
        const n = await get('accounts', alice, { $filter: filter, $count: 'true', $top: '0' })
        refused(n)
      })
    }

    it('$filter through a parameter alias is refused too', async () => {
      refused(
        await get('accounts', alice, { $filter: 'accountnumber eq @p', '@p': "'SECRET-ALPHA'" }),
      )
    })

    it('$filter on the lookup of a related secured column is not a side channel', async () => {
      // Navigation paths in $filter are refused by the parser for everyone; a lookup's own
      // value can't be secured, so filtering on it is allowed and reveals no secured value.
      const nav = await get('contacts', alice, {
        $filter: "parentcustomerid_account/accountnumber eq 'SECRET-ALPHA'",
      })
      assert.ok(nav.status >= 400, JSON.stringify(nav.body))
      assert.deepEqual(leaks(nav), [])
      const lookup = await get('contacts', alice, {
        $filter: `_parentcustomerid_value eq ${id('alpha')}`,
        $select: 'firstname,jobtitle',
      })
      assert.equal(lookup.status, 200)
      assert.equal(rows(lookup)[0]?.['jobtitle'], null)
      assert.deepEqual(leaks(lookup), [])
    })

    it('$apply naming a secured column anywhere is refused, and answers no value', async () => {
      for (const apply of [
        'aggregate(creditlimit with sum as total)',
        'aggregate(creditlimit with max as m)',
        'aggregate(accountnumber with countdistinct as d)',
        'groupby((accountnumber))',
        'groupby((name),aggregate(creditlimit with min as m))',
        "filter(accountnumber eq 'SECRET-ALPHA')/aggregate($count as n)",
        'filter(creditlimit gt 999)/groupby((name))',
      ]) {
        const a = await get('accounts', alice, { $apply: apply })
        refused(a)
        assert.match(a.error?.message ?? '', /\$apply/)
        assert.ok(!mentions(a, 1000))
      }
      // The same aggregates over readable columns only are answered.
      const ok = await get('accounts', alice, { $apply: 'groupby((name),aggregate($count as n))' })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      assert.deepEqual(leaks(ok), [])
    })

    it('$orderby on a secured column is refused (asc, desc, after another column)', async () => {
      for (const order of ['accountnumber', 'creditlimit desc', 'name,accountnumber desc']) {
        const a = await get('accounts', alice, { $orderby: order })
        refused(a)
        assert.match(a.error?.message ?? '', /\$orderby/)
      }
    })

    it('a skip token carries only the sort values of readable columns', async () => {
      const first = await f.call('GET', 'accounts', {
        caller: alice,
        query: { $select: 'name,accountnumber', $orderby: 'name' },
        headers: { Prefer: 'odata.maxpagesize=1' },
      })
      assert.equal(first.status, 200)
      const next = String(first.json['@odata.nextLink'])
      const token = decodeURIComponent(/\$skiptoken=([^&]+)/.exec(next)?.[1] ?? '')
      assert.deepEqual(leaks(Buffer.from(token, 'base64url').toString('utf8')), [])
      // The same token under a sort on the secured column: the token is bound to its query
      // (400), and the sort is refused anyway (403); never a page.
      const crafted = await f.call('GET', 'accounts', {
        caller: alice,
        query: { $select: 'name', $orderby: 'accountnumber', $skiptoken: token },
        headers: { Prefer: 'odata.maxpagesize=1' },
      })
      assert.ok([400, 403].includes(crafted.status), JSON.stringify(crafted.body))
      assert.deepEqual(leaks(crafted), [])
      // A hand-made token claiming a secured sort value is refused as well.
      const forged = Buffer.from(
        JSON.stringify({ p: 1, k: ['SECRET-ALPHA', id('alpha')], h: 'x'.repeat(22) }),
      ).toString('base64url')
      const f2 = await f.call('GET', 'accounts', {
        caller: alice,
        query: { $orderby: 'accountnumber', $skiptoken: forged },
        headers: { Prefer: 'odata.maxpagesize=1' },
      })
      assert.ok([400, 403].includes(f2.status), JSON.stringify(f2.body))
      assert.deepEqual(leaks(f2), [])
    })

    it('$expand both directions: secured columns of the expanded table are null', async () => {
      const down = await get('accounts', alice, {
        $select: 'name',
        $expand: 'contact_parentcustomerid($select=firstname,jobtitle)',
      })
      assert.equal(down.status, 200, JSON.stringify(down.body))
      const contacts = byName(down)['Alpha']?.['contact_parentcustomerid'] as Row[]
      assert.equal(contacts.length, 1)
      assert.equal(contacts[0]?.['jobtitle'], null)
      const up = await get('contacts', alice, {
        $select: 'firstname,jobtitle',
        $expand: 'parentcustomerid_account($select=name,accountnumber,creditlimit)',
      })
      assert.equal(up.status, 200, JSON.stringify(up.body))
      const parent = rows(up)[0]?.['parentcustomerid_account'] as Row
      assert.equal(parent['name'], 'Alpha')
      assert.equal(parent['accountnumber'], null)
      assert.equal(parent['creditlimit'], null)
      assert.equal(rows(up)[0]?.['jobtitle'], null)
      assert.deepEqual(leaks(down), [])
      assert.deepEqual(leaks(up), [])
      const single = await get(`contacts(${id('c1')})`, alice, {
        $expand: 'parentcustomerid_account($select=accountnumber)',
      })
      assert.equal(single.status, 200)
      assert.deepEqual(leaks(single), [])
    })

    it('$filter and $orderby inside $expand are refused', async () => {
      refused(
        await get('accounts', alice, {
          $expand: "contact_parentcustomerid($filter=jobtitle eq 'JOB-SECRET')",
        }),
      )
      refused(
        await get('accounts', alice, {
          $expand: 'contact_parentcustomerid($orderby=jobtitle)',
        }),
      )
    })

    it('an alternate key on a secured column is not a probe', async () => {
      await f.app.records.createKey(f.env.id, 'account', {
        name: 'accountnumberkey',
        columns: ['accountnumber'],
      })
      refused(await get("accounts(accountnumber='SECRET-ALPHA')", alice))
      refused(await get("accounts(accountnumber='NO-SUCH')", alice))
      // @odata.bind by that key is the same probe.
      const bind = await f.call('POST', 'contacts', {
        caller: alice,
        body: {
          lastname: 'Probe',
          'parentcustomerid_account@odata.bind': "/accounts(accountnumber='SECRET-ALPHA')",
        },
      })
      refused(bind)
      const admin = await get("accounts(accountnumber='SECRET-ALPHA')", f.admin)
      assert.equal(admin.status, 200)
      assert.equal(admin.json['accountnumber'], 'SECRET-ALPHA')
    })

    it('create setting a secured column: 403 naming the column; without it, allowed', async () => {
      const a = await f.call('POST', 'accounts', {
        caller: alice,
        body: { name: 'Delta', accountnumber: 'MINE' },
      })
      refused(a, '0x80040220')
      assert.match(a.error?.message ?? '', /'account\.accountnumber'/)
      assert.match(a.error?.message ?? '', /Create/)
      const ok = await f.call('POST', 'accounts', { caller: alice, body: { name: 'Delta' } })
      assert.equal(ok.status, 204, JSON.stringify(ok.body))
      const nulls = await f.call('POST', 'accounts', {
        caller: alice,
        body: { name: 'Epsilon', accountnumber: null },
      })
      assert.equal(nulls.status, 204, JSON.stringify(nulls.body))
    })

    it('update, single-property PUT and upsert of a secured column: 403 naming it', async () => {
      const patch = await f.call('PATCH', `accounts(${id('beta')})`, {
        caller: alice,
        body: { accountnumber: 'X' },
      })
      refused(patch, '0x80040220')
      assert.match(patch.error?.message ?? '', /'account\.accountnumber'.*Update/)
      const put = await f.call('PUT', `accounts(${id('beta')})/creditlimit`, {
        caller: alice,
        body: { value: 1 },
      })
      refused(put, '0x80040220')
      const upsertNew = await f.call(
        'PATCH',
        `accounts(${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)})`,
        {
          caller: alice,
          body: { name: 'Upserted', accountnumber: 'X' },
        },
      )
      refused(upsertNew, '0x80040220')
      const other = await f.call('PATCH', `accounts(${id('beta')})`, {
        caller: alice,
        body: { name: 'Beta' },
      })
      assert.equal(other.status, 204, JSON.stringify(other.body))
      const admin = await get(`accounts(${id('beta')})`, f.admin)
      assert.equal(admin.json['accountnumber'], 'SECRET-BETA')
      assert.equal(admin.json['creditlimit'], 300)
    })

    // Impersonation (docs/authz.md §8): the server resolves the headers to a Caller whose
    // `impersonator` is the real caller; every column decision is then the intersection.
    // bob (Finance profile: reads accountnumber, creditlimit, jobtitle) and alice (nothing).
    const impersonations: Record<string, () => Caller> = {
      'alice impersonating bob': () => ({ ...bob, impersonator: alice }),
      'bob impersonating alice': () => ({ ...alice, impersonator: bob }),
    }
    for (const [label, as] of Object.entries(impersonations)) {
      it(`impersonation, ${label}: masked in $select and $expand`, async () => {
        const a = await get('accounts', as(), { $select: 'name,accountnumber,creditlimit' })
        assert.equal(a.status, 200, JSON.stringify(a.body))
        assert.ok(rows(a).every((r) => r['accountnumber'] === null && r['creditlimit'] === null))
        const one = await get(`accounts(${id('alpha')})`, as())
        assert.equal(one.json['accountnumber'], null)
        const e = await get('accounts', as(), {
          $select: 'name',
          $expand: 'contact_parentcustomerid($select=lastname,jobtitle)',
        })
        assert.equal(e.status, 200, JSON.stringify(e.body))
        const expanded = byName(e)['Alpha']?.['contact_parentcustomerid'] as Row[]
        assert.equal(expanded[0]?.['jobtitle'], null)
        const c = await get(`contacts(${id('c1')})`, as(), {
          $select: 'lastname,jobtitle',
          $expand: 'parentcustomerid_account($select=name,accountnumber)',
        })
        assert.equal(c.status, 200, JSON.stringify(c.body))
        assert.equal(c.json['jobtitle'], null)
        for (const answer of [a, one, e, c]) assert.deepEqual(leaks(answer), [])
      })

      it(`impersonation, ${label}: $filter, $orderby, $count and keys refused`, async () => {
        refused(await get('accounts', as(), { $filter: "startswith(accountnumber,'SECRET')" }))
        refused(await get('accounts/$count', as(), { $filter: 'creditlimit gt 500' }))
        refused(await get('accounts', as(), { $orderby: 'creditlimit desc' }))
        refused(
          await get('accounts', as(), {
            $expand: "contact_parentcustomerid($filter=jobtitle eq 'JOB-SECRET')",
          }),
        )
        refused(
          await get('accounts', as(), { $expand: 'contact_parentcustomerid($orderby=jobtitle)' }),
        )
        refused(await get('contacts', as(), { $filter: "jobtitle eq 'JOB-SECRET'" }))
      })

      it(`impersonation, ${label}: writes of secured columns refused`, async () => {
        const created = await f.call('POST', 'accounts', {
          caller: as(),
          body: { name: 'Imp', accountnumber: 'NEW' },
        })
        refused(created, '0x80040220')
        const updated = await f.call('PATCH', `accounts(${id('beta')})`, {
          caller: as(),
          body: { accountnumber: 'CHANGED' },
        })
        refused(updated, '0x80040220')
      })
    }

    it('impersonation where both may: an administrator acting as bob reads what bob reads', async () => {
      const as: Caller = { ...bob, impersonator: f.admin }
      const a = await get('accounts', as, {
        $select: 'name,accountnumber',
        $filter: "startswith(accountnumber,'SECRET')",
        $orderby: 'creditlimit desc',
      })
      assert.equal(a.status, 200, JSON.stringify(a.body))
      assert.deepEqual(
        rows(a).map((r) => r['accountnumber']),
        ['SECRET-ALPHA', 'SECRET-BETA'],
      )
      // bob impersonated by carol: carol's per-record share opens Alpha's accountnumber for her,
      // bob's profile for him, so Alpha's shows; Beta's is carol's to miss.
      const shared = await get(
        'accounts',
        { ...bob, impersonator: carol },
        {
          $select: 'name,accountnumber',
        },
      )
      assert.equal(byName(shared)['Alpha']?.['accountnumber'], 'SECRET-ALPHA')
      assert.equal(byName(shared)['Beta']?.['accountnumber'], null)
      refused(await get('accounts', { ...bob, impersonator: carol }, { $orderby: 'accountnumber' }))
    })
  })

  describe('a caller with a profile through a team', () => {
    it('reads, filters and sorts secured columns the profile grants Read on', async () => {
      const a = await get('accounts', bob, {
        $select: 'name,accountnumber,creditlimit',
        $filter: "startswith(accountnumber,'SECRET')",
        $orderby: 'creditlimit desc',
      })
      assert.equal(a.status, 200, JSON.stringify(a.body))
      assert.deepEqual(
        rows(a).map((r) => [r['name'], r['accountnumber'], r['creditlimit']]),
        [
          ['Alpha', 'SECRET-ALPHA', 700],
          ['Beta', 'SECRET-BETA', 300],
        ],
      )
      const n = await get('accounts/$count', bob, { $filter: 'creditlimit gt 500' })
      assert.equal(n.body, '1')
    })

    it('writes where the profile grants Create/Update, and only there', async () => {
      const created = await f.call('POST', 'accounts', {
        caller: bob,
        body: { name: 'Zeta', accountnumber: 'Z-1' },
      })
      assert.equal(created.status, 204, JSON.stringify(created.body))
      const update = await f.call('PATCH', `accounts(${id('gamma')})`, {
        caller: bob,
        body: { accountnumber: 'G-1' },
      })
      assert.equal(update.status, 204, JSON.stringify(update.body))
      refused(
        await f.call('PATCH', `accounts(${id('gamma')})`, {
          caller: bob,
          body: { creditlimit: 5 },
        }),
        '0x80040220',
      )
      refused(
        await f.call('POST', 'accounts', { caller: bob, body: { name: 'Eta', creditlimit: 5 } }),
        '0x80040220',
      )
    })
  })

  describe('a caller with per-record column shares', () => {
    it('sees the shared record column only, on that row', async () => {
      const a = await get('accounts', carol, { $select: 'name,accountnumber,creditlimit' })
      const named = byName(a)
      const alpha = named['Alpha'] ?? {}
      const betaRow = named['Beta'] ?? {}
      assert.equal(alpha['accountnumber'], 'SECRET-ALPHA')
      assert.equal(alpha['creditlimit'], null)
      assert.equal(betaRow['accountnumber'], null)
      const one = await get(`accounts(${id('alpha')})/accountnumber`, carol)
      assert.equal(one.json['value'], 'SECRET-ALPHA')
      const beta = await get(`accounts(${id('beta')})`, carol)
      assert.deepEqual(leaks(beta), [])
    })

    it('still cannot filter or sort on it (not readable on every row)', async () => {
      refused(await get('accounts', carol, { $filter: "accountnumber eq 'SECRET-BETA'" }))
      refused(await get('accounts', carol, { $orderby: 'accountnumber' }))
    })

    it('updates the column shared for update on that record only', async () => {
      const ok = await f.call('PATCH', `accounts(${id('alpha')})`, {
        caller: carol,
        body: { creditlimit: 750 },
      })
      assert.equal(ok.status, 204, JSON.stringify(ok.body))
      refused(
        await f.call('PATCH', `accounts(${id('beta')})`, {
          caller: carol,
          body: { creditlimit: 1 },
        }),
        '0x80040220',
      )
      refused(
        await f.call('PATCH', `accounts(${id('alpha')})`, {
          caller: carol,
          body: { accountnumber: 'X' },
        }),
        '0x80040220',
      )
    })

    it('removing the share takes effect on the next request', async () => {
      await f.app.records.deleteRecord(
        f.env.id,
        'principalobjectattributeaccess',
        id('share_number'),
        {
          actorId: f.ids.systemUserId,
        },
      )
      const a = await get(`accounts(${id('alpha')})`, carol)
      assert.equal(a.json['accountnumber'], null)
    })
  })

  describe('changes take effect on the next request', () => {
    it('profile membership and permission changes bump the security version', async () => {
      const before = await f.app.records.readSecurityVersion(f.env.id)
      const member = await f.app.records.createRecord(
        f.env.id,
        'systemuserprofiles',
        { systemuserid: id('alice'), fieldsecurityprofileid: id('profile') },
        { actorId: f.ids.systemUserId },
      )
      const after1 = await f.app.records.readSecurityVersion(f.env.id)
      assert.notEqual(after1, before)
      const now = await w.caller('alice')
      const a = await get(`accounts(${id('beta')})`, now)
      assert.equal(a.json['accountnumber'], 'SECRET-BETA')
      await f.app.records.deleteRecord(f.env.id, 'systemuserprofiles', member, {
        actorId: f.ids.systemUserId,
      })
      assert.notEqual(await f.app.records.readSecurityVersion(f.env.id), after1)
      const again = await get(`accounts(${id('beta')})`, await w.caller('alice'))
      assert.equal(again.json['accountnumber'], null)
    })

    it('profiles, permissions and membership are managed through the Web API', async () => {
      const post = async (set: string, body: Row) => {
        const a = await f.call('POST', set, { body })
        assert.equal(a.status, 204, JSON.stringify(a.body))
        return /\(([0-9a-f-]{36})\)$/.exec(String(a.headers['OData-EntityId']))?.[1] ?? ''
      }
      const profile = await post('fieldsecurityprofiles', { name: 'Web' })
      await post('fieldpermissions', {
        'fieldsecurityprofileid@odata.bind': `/fieldsecurityprofiles(${profile})`,
        entityname: 'contact',
        attributelogicalname: 'jobtitle',
        canread: 4,
        cancreate: 0,
        canupdate: 0,
      })
      const member = await post('systemuserprofilescollection', {
        'systemuserid@odata.bind': `/systemusers(${id('alice')})`,
        'fieldsecurityprofileid@odata.bind': `/fieldsecurityprofiles(${profile})`,
      })
      const seen = await get(`contacts(${id('c1')})`, await w.caller('alice'))
      assert.equal(seen.json['jobtitle'], 'JOB-SECRET')
      const del = await f.call('DELETE', `systemuserprofilescollection(${member})`)
      assert.equal(del.status, 204)
      const gone = await get(`contacts(${id('c1')})`, await w.caller('alice'))
      assert.equal(gone.json['jobtitle'], null)
      // Callers without a role on the profile tables can't read or change them.
      const denied = await get('fieldsecurityprofiles', alice)
      assert.equal(denied.status, 403)
    })

    it('System Administrators read every secured column', async () => {
      const a = await get('accounts', f.admin, { $filter: "accountnumber eq 'SECRET-BETA'" })
      assert.equal(a.status, 200)
      assert.equal(rows(a)[0]?.['accountnumber'], 'SECRET-BETA')
    })

    it('EntityDefinitions shows IsSecured', async () => {
      const a = await get(
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='accountnumber')",
        f.admin,
      )
      assert.equal(a.status, 200, JSON.stringify(a.body))
      assert.equal(a.json['IsSecured'], true)
      assert.equal(a.json['CanBeSecuredForRead'], true)
      const name = await get(
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')",
        f.admin,
      )
      assert.equal(name.json['IsSecured'], false)
      assert.equal(name.json['CanBeSecuredForRead'], false)
    })
  })
})

describe('column security leak suite ($batch)', () => {
  let f: BatchFixture
  let w: World
  let alice: Caller
  const CRLF = '\r\n'
  const part = (line: string, body?: unknown, contentId?: string, headers: string[] = []) => [
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    ...(contentId === undefined ? [] : [`Content-ID: ${contentId}`]),
    '',
    line,
    ...(body === undefined ? [] : ['Content-Type: application/json']),
    ...headers,
    '',
    ...(body === undefined ? [] : [JSON.stringify(body)]),
  ]
  const changeset = (name: string, ...parts: string[][]) => [
    `Content-Type: multipart/mixed; boundary=${name}`,
    '',
    ...parts.flatMap((p) => [`--${name}`, ...p]),
    `--${name}--`,
  ]
  const body = (...parts: string[][]) =>
    [...parts.flatMap((p) => ['--batch_1', ...p]), '--batch_1--', ''].join(CRLF)
  const send = async (text: string, caller: Caller) => {
    const res = await f.odata(
      { ...f.ctx, caller },
      {
        method: 'POST',
        path: '$batch',
        query: {},
        headers: {
          'content-type': 'multipart/mixed; boundary=batch_1',
          prefer: 'odata.continue-on-error',
        },
        body: text,
      },
    )
    return { res, parts: readBatchResponse(res) }
  }

  before(async () => {
    f = await openBatchFixture()
    w = await buildWorld(f.app, f.env.id, f.ids.systemUserId, f.ids.businessUnitId)
    alice = await w.caller('alice')
  })
  after(async () => {
    await f.close()
  })

  it('GET parts outside a change set: masked, and probing filters refused', async () => {
    const api = f.ctx.webApiUrl
    const { parts, res } = await send(
      body(
        part(`GET ${api}accounts?$select=name,accountnumber HTTP/1.1`),
        part(`GET ${api}accounts?$filter=accountnumber%20eq%20'SECRET-ALPHA' HTTP/1.1`),
        part(`GET ${api}accounts?$orderby=creditlimit HTTP/1.1`),
        part(`GET ${api}accounts(${w.id['alpha'] ?? ''}) HTTP/1.1`, undefined, undefined, [
          `MSCRMCallerID: ${f.ids.systemUserId}`,
        ]),
      ),
      alice,
    )
    assert.equal(typeof res.body, 'string')
    assert.deepEqual(leaks(String(res.body)), [])
    assert.deepEqual(
      parts.map((p) => p.status),
      // Without the server's resolver (ctx.callerFor) a part may not act as another user.
      [200, 403, 403, 400],
    )
    const first = JSON.parse(parts[0]?.body ?? '{}') as { value: Row[] }
    assert.ok(first.value.every((r) => r['accountnumber'] === null))
  })

  it('parts impersonating (own header): the intersection, in and outside a change set', async () => {
    const api = f.ctx.webApiUrl
    const bob = await w.caller('bob')
    const bobId = w.id['bob'] ?? ''
    // What the server's callerFor does, with alice as the real caller (authz §8).
    const callerFor = (headers: Readonly<Record<string, string | undefined>>) =>
      Promise.resolve(headers['mscrmcallerid'] === bobId ? { ...bob, impersonator: alice } : alice)
    const as = [`MSCRMCallerID: ${bobId}`]
    const res = await f.odata(
      { ...f.ctx, caller: alice, callerFor },
      {
        method: 'POST',
        path: '$batch',
        query: {},
        headers: {
          'content-type': 'multipart/mixed; boundary=batch_1',
          prefer: 'odata.continue-on-error',
        },
        body: body(
          part(`GET ${api}accounts?$select=name,accountnumber HTTP/1.1`, undefined, undefined, as),
          part(`GET ${api}accounts?$orderby=creditlimit HTTP/1.1`, undefined, undefined, as),
          part(
            `GET ${api}accounts?$filter=accountnumber%20eq%20'SECRET-ALPHA' HTTP/1.1`,
            undefined,
            undefined,
            as,
          ),
          part(`GET ${api}WhoAmI HTTP/1.1`, undefined, undefined, as),
          changeset(
            'cs_2',
            part(`POST ${api}accounts HTTP/1.1`, { name: 'Imp in changeset' }, '1', as),
            part(
              `PATCH ${api}accounts(${w.id['beta'] ?? ''}) HTTP/1.1`,
              { accountnumber: 'X' },
              '2',
              as,
            ),
          ),
        ),
      },
    )
    const parts = readBatchResponse(res)
    assert.deepEqual(leaks(String(res.body)), [])
    assert.deepEqual(
      parts.map((p) => p.status),
      [200, 403, 403, 200, 403],
    )
    const first = JSON.parse(parts[0]?.body ?? '{}') as { value: Row[] }
    assert.ok(first.value.every((r) => r['accountnumber'] === null))
    assert.equal((JSON.parse(parts[3]?.body ?? '{}') as Row)['UserId'], bobId)
    const check = await f.app.records.queryRecords(
      f.env.id,
      'account',
      { count: false, select: ['name'] },
      {},
    )
    assert.ok(!check.records.some((r) => r['name'] === 'Imp in changeset'))
  })

  it('writes in a change set: a secured column without permission rolls it back', async () => {
    const api = f.ctx.webApiUrl
    const { parts, res } = await send(
      body(
        changeset(
          'cs_1',
          part(`POST ${api}accounts HTTP/1.1`, { name: 'In changeset' }, '1'),
          part(`PATCH ${api}accounts(${w.id['beta'] ?? ''}) HTTP/1.1`, { accountnumber: 'X' }, '2'),
        ),
      ),
      alice,
    )
    assert.deepEqual(leaks(String(res.body)), [])
    assert.equal(parts.at(-1)?.status, 403)
    assert.match(parts.at(-1)?.body ?? '', /account\.accountnumber/)
    const table = await f.app.records.getTable(f.env.id, 'account')
    const check = await f.app.records.queryRecords(
      f.env.id,
      'account',
      { count: false, select: ['name', 'accountnumber'] },
      {},
    )
    assert.ok(table.columns.length > 0)
    assert.ok(!check.records.some((r) => r['name'] === 'In changeset'))
    assert.ok(check.records.some((r) => r['accountnumber'] === 'SECRET-BETA'))
  })
})
