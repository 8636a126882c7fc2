import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { entityIdOf, odataFixture, type ODataFixture } from '../helpers/odata-fixture.ts'

const PAYLOADS = [
  "'; DROP TABLE account; --",
  "x' OR '1'='1",
  '1; DELETE FROM account',
  'name); DROP TABLE account; --',
  'accountid) UNION SELECT * FROM systemuser --',
  '"account"."name"',
  'sqlite_master',
  '\u0000',
  "'' OR 1=1 --",
  '%27%20OR%201%3D1',
  'name desc, (SELECT 1)',
  '../../etc/passwd',
]

// STYLE §8 named suite: hostile input through the Web API handler only ever gets a clear 4xx
// error (or an empty, correct answer), and the tables stay intact.
describe('SQL injection through the OData handler', () => {
  let f: ODataFixture
  let id = ''

  before(async () => {
    f = await odataFixture()
    id = entityIdOf(await f.call('POST', 'accounts', { body: { name: 'Survivor' } }))
    await f.app.records.createKey(f.env.id, 'account', {
      name: 'accountnumberkey',
      columns: ['accountnumber'],
    })
    await f.app.records.createKey(f.env.id, 'account', {
      name: 'emailkey',
      columns: ['emailaddress1', 'numberofemployees'],
    })
  })
  after(async () => {
    await f.close()
  })

  const intact = async (): Promise<void> => {
    const res = await f.call('GET', 'accounts/$count')
    assert.equal(res.body, '1')
    assert.equal((await f.call('GET', `accounts(${id})`)).json['name'], 'Survivor')
    assert.equal((await f.call('GET', 'systemusers/$count')).status, 200)
  }

  const assertClientError = (status: number, what: string): void => {
    assert.ok(status >= 400 && status < 500, `${what} → ${String(status)}`)
  }

  it('$filter, $orderby, $select, $expand and aliases', async () => {
    for (const p of PAYLOADS) {
      for (const query of [
        { $filter: p },
        { $filter: `name eq '${p.replace(/'/g, "''")}'` },
        { $filter: `name eq ${p}` },
        { $filter: `contains(name,'${p.replace(/'/g, "''")}')` },
        { $orderby: p },
        { $select: p },
        { $select: `name,${p}` },
        { $expand: p },
        { $expand: `primarycontactid($select=${p})` },
        { $filter: 'name eq @p', '@p': p },
        { $top: p },
        { $count: p },
        { $apply: p },
        { $apply: `groupby((${p}))` },
        { $apply: `aggregate(${p} with sum as s)` },
        { $apply: `aggregate(numberofemployees with sum as ${p})` },
        { $apply: `aggregate($count as ${p})` },
        { $apply: `filter(${p})/aggregate($count as n)` },
        { $apply: `filter(name eq '${p.replace(/'/g, "''")}')/aggregate($count as n)` },
        { $apply: 'filter(name eq @p)/groupby((name))', '@p': p },
      ]) {
        const res = await f.call('GET', 'accounts', { query })
        if (res.status === 200 && query.$apply !== undefined) {
          // A quoted payload in a filter step is a string that matches nothing, and a hostile
          // alias is only a name: the one answer row holds at most the count of the one account.
          const rows = res.json['value'] as Record<string, unknown>[]
          assert.ok(rows.length <= 1, JSON.stringify(query))
          for (const v of Object.values(rows[0] ?? {})) {
            assert.ok(v === null || v === 0 || v === 1, JSON.stringify(query))
          }
        } else if (res.status === 200) {
          // A quoted payload is just a string that matches nothing.
          assert.deepEqual(res.json['value'], [], JSON.stringify(query))
        } else {
          assertClientError(res.status, JSON.stringify(query))
          assert.ok(!/SQLITE_[A-Z]|syntax error|no such table/.test(res.error?.message ?? ''))
        }
      }
    }
    await intact()
  })

  it('keys, alternate keys, property and entity set names in the path', async () => {
    for (const p of PAYLOADS) {
      const e = encodeURIComponent(p)
      for (const path of [
        `accounts(${e})`,
        `accounts('${e}')`,
        `accounts(name='${e}')`,
        `accounts(accountid='${e}')`,
        `accounts(${id})/${e}`,
        `accounts(${id})/${e}/$value`,
        e,
        `${e}(${id})`,
        `EntityDefinitions(LogicalName='${e}')`,
        `EntityDefinitions(LogicalName='account')/Attributes(LogicalName='${e}')`,
      ]) {
        const res = await f.call('GET', path)
        assertClientError(res.status, path)
      }
      const del = await f.call('DELETE', `accounts(${e})`)
      assertClientError(del.status, 'delete')
    }
    await intact()
  })

  it('skip tokens and property names in bodies', async () => {
    for (const p of PAYLOADS) {
      const tokens = [
        p,
        Buffer.from(p).toString('base64url'),
        Buffer.from(JSON.stringify({ p: 5, k: [p, id], h: 'x'.repeat(22) })).toString('base64url'),
      ]
      for (const token of tokens) {
        const res = await f.call('GET', 'accounts', { query: { $skiptoken: token } })
        assertClientError(res.status, `token ${token}`)
      }
      for (const body of [
        { [p]: 1 },
        { name: 'x', [`${p}@odata.bind`]: `/accounts(${id})` },
        { name: 'x', 'primarycontactid@odata.bind': p },
        { name: 'x', 'primarycontactid@odata.bind': `/contacts(${encodeURIComponent(p)})` },
      ]) {
        const res = await f.call('POST', 'accounts', { body })
        assertClientError(res.status, JSON.stringify(body))
      }
      const prop = await f.call('PUT', `accounts(${id})/name`, { body: { value: p } })
      assert.equal(prop.status, 204)
      assert.equal((await f.call('GET', `accounts(${id})/name`)).json['value'], p)
      await f.call('PUT', `accounts(${id})/name`, { body: { value: 'Survivor' } })
    }
    await intact()
  })

  // Alternate-key values reach SQL only as bound parameters: hostile values are just values
  // (no match, or a clear 400), hostile names are no key, and nothing is ever changed.
  const KEY_PAYLOADS = [
    ...PAYLOADS,
    "' UNION SELECT accountid FROM account --",
    "x'/**/OR/**/'1'='1",
    "A-1' --",
    "A-1'; --",
    '*/ SELECT 1 /*',
    "') OR ('a'='a",
    'ü\u202eß\u{1F600}',
    '\uD800',
    '\uFFFF\uFEFF',
    "'".repeat(2000),
    'x'.repeat(3000),
    'x'.repeat(5000),
  ]

  it('alternate key values and names in the path, in upserts and in @odata.bind', async () => {
    const quoted = (p: string) => p.replace(/'/g, "''")
    // A lone surrogate has no UTF-8 form: send the bytes a careless client would (invalid).
    const encode = (p: string) => {
      try {
        return encodeURIComponent(p)
      } catch {
        return '%ED%A0%80'
      }
    }
    let stored = 0
    for (const p of KEY_PAYLOADS) {
      const e = encode(p)
      const q = encode(quoted(p))
      for (const path of [
        `accounts(accountnumber='${q}')`,
        `accounts(accountnumber='${e}')`,
        `accounts(accountnumber=${e})`,
        `accounts(${e}='x')`,
        `accounts(accountnumber='x',${e}='y')`,
        `accounts(emailaddress1='${q}',numberofemployees=1)`,
        `accounts(emailaddress1='x',numberofemployees=${e})`,
        `accounts(accountnumber='${q}')/name`,
      ]) {
        for (const method of ['GET', 'DELETE']) {
          const res = await f.call(method, path)
          assertClientError(res.status, `${method} ${path.slice(0, 80)}`)
          assert.ok(!/SQLITE_[A-Z]|syntax error|no such/.test(res.error?.message ?? ''))
        }
        const updateOnly = await f.call('PATCH', path, {
          body: { name: 'hijacked' },
          headers: { 'if-match': '*' },
        })
        assertClientError(updateOnly.status, `PATCH ${path.slice(0, 80)}`)
      }
      const bound = await f.call('POST', 'accounts', {
        body: { name: 'x', 'parentaccountid@odata.bind': `/accounts(accountnumber='${q}')` },
      })
      assertClientError(bound.status, 'bind')
      // An upsert by a hostile key stores the value verbatim (or refuses it), and the same key
      // finds exactly that record again.
      const upsert = await f.call('PATCH', `accounts(accountnumber='${q}')`, {
        body: { name: 'Keyed' },
        headers: { prefer: 'return=representation' },
      })
      if (upsert.status === 201) {
        stored++
        assert.equal(upsert.json['accountnumber'], p)
        const again = await f.call('GET', `accounts(accountnumber='${q}')`)
        assert.equal(again.json['accountid'], upsert.json['accountid'])
        assert.equal(
          (await f.call('DELETE', `accounts(accountnumber='${q}')`)).status,
          204,
          'delete by key',
        )
      } else {
        assertClientError(upsert.status, `upsert ${p.slice(0, 40)}`)
      }
    }
    // The short payloads (at most accountnumber's 20 characters) were stored and found again.
    assert.ok(stored >= 8, `stored ${String(stored)}`)
    await intact()
    const table = await f.app.records.getTable(f.env.id, 'account')
    assert.deepEqual(
      table.keys?.map((k) => k.name),
      ['accountnumberkey', 'emailkey'],
    )
  })
})
