import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BIN, cliJson, tempDir } from '../helpers/cli.ts'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      s.close(() => {
        resolve(port)
      })
    })
  })
}

interface Outcome {
  ok: boolean
  value?: unknown
  code?: string
  status?: number
  message?: string
}

// The goal of issue #4: a Dataverse client library pointed at a Strongroom environment works
// unmodified. The real DynamicsWebApi, over real TLS, against the real `strongroom serve`.
describe('DynamicsWebApi against a running server', () => {
  const dir = tempDir('sr-dwa-')
  const data = join(dir.path, 'data')
  let server: ChildProcess
  let results: Record<string, Outcome> = {}

  before(async () => {
    // Configure the port as an operator would, so every URL the CLI prints agrees with it.
    await cliJson(data, ['init'])
    const port = await freePort()
    const settingsFile = join(data, 'strongroom.json')
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
      server: Record<string, unknown>
    }
    settings.server['port'] = port
    writeFileSync(settingsFile, JSON.stringify(settings))
    server = spawn(process.execPath, [BIN, 'serve', '--json', '--data-dir', data], {
      env: { PATH: process.env['PATH'] ?? '' },
    })
    let out = ''
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    while (!out.includes('\n')) {
      await Promise.race([
        once(server.stdout as NodeJS.ReadableStream, 'data'),
        once(server, 'exit'),
      ])
      if (server.exitCode !== null) throw new Error(`serve exited ${String(server.exitCode)}`)
    }
    const ready = JSON.parse(out.split('\n')[0] ?? '') as { baseUrl: string; caCertFile: string }
    await cliJson(data, ['tenant', 'create', 'contoso'])
    const env = await cliJson<{ url: string }>(data, [
      'env',
      'create',
      'prod',
      '--tenant',
      'contoso',
    ])
    const shown = await cliJson<{ url: string; webApiUrl: string }>(data, [
      'env',
      'show',
      'prod',
      '--tenant',
      'contoso',
    ])
    assert.equal(shown.url, `${ready.baseUrl}/contoso/prod/`)
    assert.equal(env.url, undefined)
    const app = await cliJson<{
      clientId: string
      clientSecret: string
      tokenEndpoint: string
      resource: string
    }>(data, [
      'app',
      'create',
      '--tenant',
      'contoso',
      '--env',
      'prod',
      '--name',
      'CI',
      '--role',
      'System Administrator',
    ])
    const client = spawnSync(process.execPath, [resolve('build/tests/helpers/dwa-client.js')], {
      env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: ready.caCertFile },
      input: JSON.stringify({
        serverUrl: shown.url,
        tokenEndpoint: app.tokenEndpoint,
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        resource: app.resource,
      }),
      encoding: 'utf8',
      timeout: 60_000,
    })
    if (client.status !== 0) throw new Error(`client failed: ${client.stderr}`)
    results = JSON.parse(client.stdout) as Record<string, Outcome>
  })
  after(async () => {
    server.kill('SIGTERM')
    await once(server, 'exit')
    dir.remove()
  })

  const ok = (name: string): unknown => {
    const r = results[name]
    assert.ok(r?.ok === true, `${name}: ${JSON.stringify(r)}`)
    return r.value
  }

  it('WhoAmI', () => {
    const who = ok('whoAmI') as { UserId: string; BusinessUnitId: string; OrganizationId: string }
    assert.match(who.UserId, /^[0-9a-f-]{36}$/)
    assert.match(who.BusinessUnitId, /^[0-9a-f-]{36}$/)
    assert.match(who.OrganizationId, /^[0-9a-f-]{36}$/)
  })

  it('create, retrieve, update, delete', () => {
    const id = ok('create') as string
    assert.match(id, /^[0-9a-f-]{36}$/)
    const rec = ok('retrieve') as Record<string, unknown>
    assert.equal(rec['name'], 'Contoso')
    assert.equal(rec['revenue'], 1000.5)
    assert.match(String(rec['@odata.etag']), /^W\/"\d+"$/)
    ok('update')
    assert.equal((ok('retrieveAfterUpdate') as Record<string, unknown>)['name'], 'Contoso Ltd')
    ok('delete')
    assert.equal(results['retrieveDeleted']?.status, 404)
  })

  it('retrieveMultiple with filter, select and orderby', () => {
    const r = ok('retrieveMultiple') as { value: { name: string; numberofemployees: number }[] }
    assert.deepEqual(
      r.value.map((v) => v.numberofemployees),
      [24, 23, 22, 21, 20],
    )
  })

  it('retrieveAll follows every page', () => {
    const names = ok('retrieveAll') as string[]
    assert.equal(names.length, 25)
    assert.equal(names[0], 'Paged 00')
    assert.equal(names[24], 'Paged 24')
  })

  it('upsert creates, then updates', () => {
    ok('upsertCreate')
    ok('upsertUpdate')
    assert.equal((ok('retrieveUpserted') as Record<string, unknown>)['name'], 'Upserted again')
  })

  it('a change set that fails rolls back entirely; one that succeeds commits', () => {
    assert.equal(results['batchRollback']?.ok, false, JSON.stringify(results['batchRollback']))
    const left = ok('batchLeftovers') as { value: { name: string }[] }
    assert.deepEqual(left.value, [])
    ok('batchCommit')
  })

  it('errors carry the Dataverse code', () => {
    const r = results['notFound']
    assert.equal(r?.ok, false)
    assert.equal(r.status, 404)
    assert.equal(r.code, '0x80040217')
  })

  it('the server stops gracefully on SIGTERM', async () => {
    server.kill('SIGTERM')
    const [code] = (await once(server, 'exit')) as [number | null]
    assert.equal(code, 0)
    server = spawn(process.execPath, ['-e', ''])
  })
})
