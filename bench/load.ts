/**
 * Load generator for bench:api, run as its own process so it doesn't share the server's event
 * loop. Reads a JSON job on stdin: { url, method, headers, body?, ids?, connections, seconds,
 * tool?, rate? }. With `rate`, requests are sent at that many per second in all (autocannon's
 * overallRate) instead of as fast as the server answers. With `ids`, each request's URL is `url + <random id> + suffix` (point GETs).
 * `tool`: 'autocannon' (default; single-threaded JavaScript in this process) or 'wrk' (C,
 * `wrk -t1`, driven by a generated Lua script that picks the random ids; `apt-get install wrk`).
 * Prints one line of JSON: req/s, p50/p99 ms, totals, and `loadCpuUs`, the load generator's own
 * CPU time per request (this process and its children, from /proc).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomInt } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'

interface Job {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  ids?: string[]
  suffix?: string
  connections: number
  seconds: number
  tool?: 'autocannon' | 'wrk'
  rate?: number
}
const job = JSON.parse(readFileSync(0, 'utf8')) as Job
const ids = job.ids ?? []
const target = new URL(job.url)

interface Figures {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  timeouts: number
  total: number
}

async function runAutocannon(): Promise<Figures> {
  const result = await autocannon({
    url: target.origin,
    connections: job.connections,
    duration: job.seconds,
    pipelining: 1,
    ...(job.rate === undefined ? {} : { overallRate: job.rate }),
    requests: [
      {
        method: job.method,
        headers: job.headers,
        ...(job.body === undefined ? {} : { body: job.body }),
        setupRequest: (req) => ({
          ...req,
          path:
            ids.length > 0
              ? `${target.pathname}${ids[randomInt(ids.length)] ?? ''}${job.suffix ?? ''}`
              : `${target.pathname}${target.search}`,
        }),
      },
    ],
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
  }
}

const lua = (s: string): string => JSON.stringify(s)

/** wrk with one thread; the script (which holds the bearer token) lives in a private temp dir. */
async function runWrk(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'sr-wrk-'))
  const script = join(dir, 'job.lua')
  const path = `${target.pathname}${target.search}`
  writeFileSync(
    script,
    [
      `local ids = {${ids.map(lua).join(',')}}`,
      `local prefix, suffix = ${lua(path)}, ${lua(job.suffix ?? '')}`,
      `wrk.method = ${lua(job.method)}`,
      ...Object.entries(job.headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`),
      job.body === undefined ? '' : `wrk.body = ${lua(job.body)}`,
      'function init(args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end',
      ids.length === 0
        ? ''
        : 'function request() return wrk.format(nil, prefix .. ids[math.random(#ids)] .. suffix) end',
      'function done(s, latency, r)',
      '  local e = s.errors',
      '  io.write(string.format(\'{"total":%d,"durationUs":%d,"p50":%.3f,"p99":%.3f,"errors":%d,"timeouts":%d,"non2xx":%d}\\n\',',
      '    s.requests, s.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,',
      '    e.connect + e.read + e.write, e.timeout, e.status))',
      'end',
    ].join('\n'),
    { mode: 0o600 },
  )
  try {
    const child = spawn(
      'wrk',
      [
        '-t1',
        `-c${String(job.connections)}`,
        `-d${String(job.seconds)}s`,
        '--timeout',
        '10s',
        '-s',
        script,
        job.ids === undefined ? job.url : target.origin + target.pathname,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const [code] = (await once(child, 'exit')) as [number | null]
    if (code !== 0) throw new Error(`wrk exited ${String(code)}`)
    const line = out
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"total"'))
    if (line === undefined) throw new Error('wrk printed no figures')
    const r = JSON.parse(line) as Omit<Figures, 'rps'> & { durationUs: number }
    return {
      rps: Math.round((r.total / (r.durationUs / 1e6)) * 10) / 10,
      p50: r.p50,
      p99: r.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      total: r.total,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** CPU µs of this process plus its reaped children (wrk): utime, stime, cutime, cstime. */
function ownCpuUs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? []
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0)
  return (ticks * 1e6) / 100
}

const result = job.tool === 'wrk' ? await runWrk() : await runAutocannon()
process.stdout.write(
  JSON.stringify({
    ...result,
    loadCpuUs: result.total > 0 ? Math.round(ownCpuUs() / result.total) : 0,
  }) + '\n',
)
