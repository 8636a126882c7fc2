import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BIN, cli, cliJson, tempDir } from '../helpers/cli.ts'

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

/** The pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8').trim()
  return text === '' ? [] : text.split(' ').map(Number)
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function startServe(data: string, extra: readonly string[]) {
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--data-dir', data, ...extra], {
    env: { PATH: process.env['PATH'] ?? '' },
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  return {
    child,
    stderr: () => err,
    async ready(): Promise<Record<string, unknown>> {
      while (!out.includes('\n')) {
        await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])
        if (child.exitCode !== null)
          throw new Error(`serve exited ${String(child.exitCode)}: ${err}`)
      }
      return JSON.parse(out.split('\n')[0] ?? '') as Record<string, unknown>
    },
  }
}

// serve --workers N: N processes share the port; each has its own caches and handles, and a
// change made anywhere (here: the CLI in this process) holds on every one of them at once.
describe('server workers', () => {
  const dir = tempDir('sr-workers-')
  const data = join(dir.path, 'data')
  let serve: ReturnType<typeof startServe>
  let server: ChildProcess
  let ca = ''
  let api = ''
  let token = ''
  let port = 0

  /** One request on a new connection, so the round-robin hands it to any worker. */
  const get = (path: string, auth = token) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${api}${path}`,
        { ca, agent: false, headers: { authorization: `Bearer ${auth}` } },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text })
          })
        },
      )
      req.on('error', reject)
      // A connection the supervisor accepted just as the last worker died can be left
      // unanswered: give up on it rather than wait forever.
      req.setTimeout(5_000, () => {
        req.destroy(new Error('timed out'))
      })
      req.end()
    })

  before(async () => {
    await cliJson(data, ['init'])
    port = await freePort()
    const settingsFile = join(data, 'strongroom.json')
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
      server: Record<string, unknown>
    }
    settings.server['port'] = port
    writeFileSync(settingsFile, JSON.stringify(settings))
    await cliJson(data, ['tenant', 'create', 'contoso'])
    await cliJson(data, ['env', 'create', 'prod', '--tenant', 'contoso'])
    serve = startServe(data, ['--workers', '2'])
    server = serve.child
    const ready = await serve.ready()
    assert.equal(ready['workers'], 2)
    assert.equal(ready['port'], port)
    ca = readFileSync(String(ready['caCertFile']), 'utf8')
    api = `${String(ready['baseUrl'])}/contoso/prod/api/data/v9.2/`
  })
  after(async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL')
      await once(server, 'exit')
    }
    dir.remove()
  })

  const newApp = async (name: string) => {
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
      name,
      '--role',
      'System Administrator',
    ])
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: app.resource })
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(
        app.tokenEndpoint,
        {
          method: 'POST',
          ca,
          agent: false,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
          },
        },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => {
            resolve(text)
          })
        },
      )
      req.on('error', reject)
      req.end(body.toString())
    })
    const t = (JSON.parse(answer) as { access_token?: string }).access_token
    if (t === undefined) throw new Error(`no token: ${answer}`)
    return { clientId: app.clientId, token: t }
  }

  it('runs two worker processes behind one port, and every one serves', async () => {
    assert.equal(childrenOf(server.pid ?? 0).length, 2)
    token = (await newApp('ci')).token
    for (let i = 0; i < 12; i++) assert.equal((await get('WhoAmI')).status, 200)
  })

  it('a client deleted through the CLI is refused by every worker on the next request', async () => {
    const doomed = await newApp('doomed')
    // Warm every worker's caches with the token first.
    for (let i = 0; i < 12; i++) assert.equal((await get('WhoAmI', doomed.token)).status, 200)
    const r = await cli(data, [
      'app',
      'delete',
      doomed.clientId,
      '--tenant',
      'contoso',
      '--env',
      'prod',
    ])
    assert.equal(r.code, 0, r.stderr)
    for (let i = 0; i < 12; i++) {
      const answer = await get('WhoAmI', doomed.token)
      assert.ok(answer.status === 401 || answer.status === 403, `got ${String(answer.status)}`)
    }
    // Other clients are unaffected.
    assert.equal((await get('WhoAmI')).status, 200)
  })

  it('replaces workers that die, and the replacements serve', async () => {
    // A connection handed to a worker at the moment it is killed is lost (node:cluster), so
    // each check retries on a new connection until it is answered.
    const answered = async () => {
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline) {
        const answer = await get('WhoAmI').catch(() => ({ status: 0, body: '' }))
        if (answer.status === 200) return true
        await new Promise((r) => setTimeout(r, 200))
      }
      return false
    }
    const original = childrenOf(server.pid ?? 0)
    assert.equal(original.length, 2)
    for (const victim of original) {
      process.kill(victim, 'SIGKILL')
      await until('a replacement worker', () => {
        const now = childrenOf(server.pid ?? 0)
        return now.length === 2 && !now.includes(victim)
      })
      assert.ok(await answered(), 'served after a worker died')
    }
    // Only replacements are left now: they serve.
    assert.deepEqual(
      childrenOf(server.pid ?? 0).filter((pid) => original.includes(pid)),
      [],
    )
    for (let i = 0; i < 6; i++) assert.ok(await answered())
  })

  it('stops cleanly on SIGTERM: workers drain and exit, then the supervisor', async () => {
    const workers = childrenOf(server.pid ?? 0)
    server.kill('SIGTERM')
    const [code] = (await once(server, 'exit')) as [number | null]
    assert.equal(code, 0, serve.stderr())
    for (const pid of workers) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${String(pid)} still running`)
    }
  })

  it('stops with a clear error when replacements keep failing to start', async () => {
    const failing = startServe(data, ['--workers', '2'])
    await failing.ready()
    const keyring = join(data, 'keyring.json')
    renameSync(keyring, `${keyring}.aside`)
    try {
      for (const pid of childrenOf(failing.child.pid ?? 0)) process.kill(pid, 'SIGKILL')
      const [code] = (await once(failing.child, 'exit')) as [number | null]
      assert.notEqual(code, 0)
      assert.match(failing.stderr(), /failed to start 5 times in a row/)
    } finally {
      renameSync(`${keyring}.aside`, keyring)
    }
  })

  it('refuses a bad worker count, and fails clearly when workers cannot listen', async () => {
    const bad = await cli(data, ['serve', '--workers', '0'])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /--workers must be a number from 1 to 64/)
    // The port is taken: the workers can't listen, so the supervisor gives up.
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const failing = startServe(data, ['--workers', '2'])
      const [code] = (await once(failing.child, 'exit')) as [number | null]
      assert.notEqual(code, 0)
      assert.match(failing.stderr(), /worker exited before listening \(exit code [1-9]/)
    } finally {
      blocker.close()
    }
  })
})
