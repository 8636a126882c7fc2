/**
 * Helpers for benchmarks that drive `strongroom serve` over HTTPS with the load generator
 * (bench/load.ts, autocannon in its own process): a free port, a child process started and
 * waited for, the server's CPU time from /proc, a client-credentials token.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { createServer } from 'node:net'
import { resolve } from 'node:path'

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => {
        res(port)
      })
    })
  })
}

/** Starts `node args…` and waits for its first line of stdout (JSON: the ready message). */
export async function startChild(
  args: string[],
  input: string | null,
  childEnv: Record<string, string>,
): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env['PATH'] ?? '', ...childEnv },
  })
  if (input !== null) child.stdin.end(input)
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  while (!out.includes('\n')) {
    await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])
    if (child.exitCode !== null) throw new Error(`child exited ${String(child.exitCode)}`)
  }
  return { child, ready: JSON.parse(out.split('\n')[0] ?? '{}') as Record<string, unknown> }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

/**
 * CPU seconds (user + system) a process and its live children (serve --workers) have used so
 * far, from /proc (Linux; 0 elsewhere).
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const id = String(pid)
    const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ = 100 on Linux).
    const own = (Number(fields[11]) + Number(fields[12])) / 100
    const children = readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim()
    if (children === '') return own
    return own + children.split(' ').reduce((sum, c) => sum + cpuSeconds(Number(c)), 0)
  } catch {
    return 0
  }
}

function runLoad(job: object, extraEnv: Record<string, string>): Promise<Record<string, number>> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [resolve('build/bench/load.js')], {
      env: { PATH: process.env['PATH'] ?? '', ...extraEnv },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => {
      if (code === 0) res(JSON.parse(out) as Record<string, number>)
      else rej(new Error(`load exited ${String(code)}`))
    })
    child.stdin.end(JSON.stringify(job))
  })
}

/**
 * Runs a load phase (bench/load.ts) and adds the server's CPU time per request (`cpuUs`):
 * unlike req/s it hardly moves when other work shares the machine.
 */
export async function loadWithCpu(
  job: object,
  extraEnv: Record<string, string>,
  serverPid?: number,
): Promise<Record<string, number>> {
  const before = cpuSeconds(serverPid)
  const result = await runLoad(job, extraEnv)
  const used = cpuSeconds(serverPid) - before
  const total = result['total'] ?? 0
  return { ...result, cpuUs: total > 0 ? Math.round((used * 1e6) / total) : 0 }
}

/** An access token by the client-credentials grant (HTTP Basic client authentication). */
export function clientCredentialsToken(
  client: {
    tokenEndpoint: string
    resource: string
    clientId: string
    clientSecret: { expose(): Uint8Array }
  },
  ca: string,
): Promise<string> {
  return new Promise<string>((res, rej) => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      resource: client.resource,
    }).toString()
    const basic = `${client.clientId}:${Buffer.from(client.clientSecret.expose()).toString()}`
    const req = request(
      client.tokenEndpoint,
      {
        method: 'POST',
        ca,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
        },
      },
      (r) => {
        let text = ''
        r.on('data', (d: Buffer) => (text += d.toString()))
        r.on('end', () => {
          const t = (JSON.parse(text) as { access_token?: string }).access_token
          if (t === undefined) rej(new Error(`token: ${text}`))
          else res(t)
        })
      },
    )
    req.on('error', rej)
    req.end(body)
  })
}
