/**
 * Load generator for bench:api, run as its own process so it doesn't share the server's event
 * loop. Reads a JSON job on stdin: { url, method, headers, body?, ids?, connections, seconds,
 * rate? }. With `rate`, requests are sent at that many per second in all (autocannon's
 * overallRate) instead of as fast as the server answers.
 * With `ids`, each request's URL is `url + <random id>` (point GETs). Prints autocannon's
 * figures as one line of JSON.
 */
import { readFileSync } from 'node:fs'
import { randomInt } from 'node:crypto'
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
  rate?: number
}
const job = JSON.parse(readFileSync(0, 'utf8')) as Job
const ids = job.ids ?? []
const target = new URL(job.url)

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
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
  }) + '\n',
)
