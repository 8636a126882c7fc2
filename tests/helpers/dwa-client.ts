// Runs the real DynamicsWebApi client against a running Strongroom, in its own process so
// NODE_EXTRA_CA_CERTS (our local CA) applies to the library's own HTTPS agent. Reads a JSON
// job on stdin, prints one JSON line of results. No assertion here: the test asserts.
import { readFileSync } from 'node:fs'
import { DynamicsWebApi } from 'dynamics-web-api'

interface Job {
  serverUrl: string
  tokenEndpoint: string
  clientId: string
  clientSecret: string
  resource: string
}
const job = JSON.parse(readFileSync(0, 'utf8')) as Job

async function token(): Promise<string> {
  const res = await fetch(job.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(job.clientId)}:${encodeURIComponent(job.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: job.resource }),
  })
  const body = (await res.json()) as { access_token?: string }
  if (body.access_token === undefined) throw new Error(`token endpoint: ${String(res.status)}`)
  return body.access_token
}

const accessToken = await token()
const api = new DynamicsWebApi({
  serverUrl: job.serverUrl,
  dataApi: { version: '9.2' },
  onTokenRefresh: () => Promise.resolve(accessToken),
})

const out: Record<string, unknown> = {}
const attempt = async (name: string, fn: () => Promise<unknown>) => {
  try {
    out[name] = { ok: true, value: await fn() }
  } catch (e) {
    const err = e as { code?: string; status?: number; message?: string }
    out[name] = { ok: false, code: err.code, status: err.status, message: err.message }
  }
}

await attempt('whoAmI', () => api.callFunction('WhoAmI'))
let id = ''
await attempt('create', async () => {
  id = await api.create<Record<string, unknown>, string>({
    collection: 'accounts',
    data: { name: 'Contoso', revenue: 1000.5 },
  })
  return id
})
await attempt('retrieve', () =>
  api.retrieve({ collection: 'accounts', key: id, select: ['name', 'revenue'] }),
)
await attempt('update', () =>
  api.update({ collection: 'accounts', key: id, data: { name: 'Contoso Ltd' } }),
)
await attempt('retrieveAfterUpdate', () =>
  api.retrieve({ collection: 'accounts', key: id, select: ['name'] }),
)
await attempt('createMany', async () => {
  for (let i = 0; i < 25; i++) {
    await api.create({
      collection: 'accounts',
      data: { name: `Paged ${String(i).padStart(2, '0')}`, numberofemployees: i },
    })
  }
  return 25
})
await attempt('retrieveMultiple', () =>
  api.retrieveMultiple({
    collection: 'accounts',
    select: ['name', 'numberofemployees'],
    filter: "startswith(name,'paged') and numberofemployees ge 20",
    orderBy: ['numberofemployees desc'],
  }),
)
await attempt('retrieveAll', async () => {
  const all = await api.retrieveAll({
    collection: 'accounts',
    select: ['name'],
    filter: "startswith(name,'Paged')",
    orderBy: ['name'],
    maxPageSize: 10,
  })
  return all.value.map((r: { name: string }) => r.name)
})
const upsertId = '6f8b1c2e-0000-4000-8000-000000000001'
await attempt('upsertCreate', () =>
  api.upsert({ collection: 'accounts', key: upsertId, data: { name: 'Upserted' } }),
)
await attempt('upsertUpdate', () =>
  api.upsert({ collection: 'accounts', key: upsertId, data: { name: 'Upserted again' } }),
)
await attempt('retrieveUpserted', () =>
  api.retrieve({ collection: 'accounts', key: upsertId, select: ['name'] }),
)
await attempt('batchRollback', async () => {
  api.startBatch()
  void api.create({ collection: 'accounts', data: { name: 'Batch one' } })
  void api.create({ collection: 'accounts', data: { name: 'Batch two' } })
  void api.create({
    collection: 'accounts',
    data: { name: 'Batch bad', numberofemployees: 'many' },
  })
  return api.executeBatch({ inChangeSet: true })
})
await attempt('batchLeftovers', () =>
  api.retrieveMultiple({
    collection: 'accounts',
    select: ['name'],
    filter: "startswith(name,'Batch')",
  }),
)
await attempt('batchCommit', async () => {
  api.startBatch()
  void api.create({ collection: 'accounts', data: { name: 'Batch ok 1' } })
  void api.create({ collection: 'accounts', data: { name: 'Batch ok 2' } })
  return api.executeBatch({ inChangeSet: true })
})
await attempt('notFound', () =>
  api.retrieve({ collection: 'accounts', key: '00000000-0000-0000-0000-0000000000ff' }),
)
await attempt('delete', () => api.deleteRecord({ collection: 'accounts', key: id }))
await attempt('retrieveDeleted', () => api.retrieve({ collection: 'accounts', key: id }))
process.stdout.write(JSON.stringify(out) + '\n')
