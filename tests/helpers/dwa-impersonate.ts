// Runs the real DynamicsWebApi client's impersonation options (`impersonate` → MSCRMCallerID,
// `impersonateAAD` → CallerObjectId) against a running Strongroom, in its own process so
// NODE_EXTRA_CA_CERTS (our local CA) applies to the library's HTTPS agent. Reads a JSON job on
// stdin, prints one JSON line of results. No assertion here: the test asserts.
import { readFileSync } from 'node:fs'
import { DynamicsWebApi } from 'dynamics-web-api'

interface Job {
  serverUrl: string
  accessToken: string
  userId: string
  objectId: string
}
const job = JSON.parse(readFileSync(0, 'utf8')) as Job
const api = new DynamicsWebApi({
  serverUrl: job.serverUrl,
  dataApi: { version: '9.2' },
  onTokenRefresh: () => Promise.resolve(job.accessToken),
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

await attempt('whoAmI', () => api.callFunction({ name: 'WhoAmI', impersonate: job.userId }))
await attempt('whoAmIAad', () => api.callFunction({ name: 'WhoAmI', impersonateAAD: job.objectId }))
let id = ''
await attempt('create', async () => {
  id = await api.create<Record<string, unknown>, string>({
    collection: 'accounts',
    data: { name: 'Via DynamicsWebApi' },
    impersonateAAD: job.objectId,
  })
  return id
})
await attempt('retrieve', () =>
  api.retrieve({
    collection: 'accounts',
    key: id,
    select: ['name', '_ownerid_value', '_createdby_value', '_createdonbehalfby_value'],
  }),
)
await attempt('retrieveMultiple', async () => {
  const r = await api.retrieveMultiple<{ name: string }>({
    collection: 'accounts',
    select: ['name'],
    impersonate: job.userId,
  })
  return r.value.map((a) => a.name).sort()
})
await attempt('refused', () =>
  api.callFunction({ name: 'WhoAmI', impersonate: '00000000-0000-0000-0000-000000000001' }),
)
process.stdout.write(JSON.stringify(out) + '\n')
