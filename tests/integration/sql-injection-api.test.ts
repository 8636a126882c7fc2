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
      ]) {
        const res = await f.call('GET', 'accounts', { query })
        if (res.status === 200) {
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
})
