/**
 * The floor for bench:api: the same SQLite file, served by node:http with no TLS, no auth, no
 * checks, no OData layer — as fast as this engine can answer over HTTP on this machine.
 * Reads `<file>\n<hex key>\n[<base64 cert PEM>\n<base64 key PEM>\n]` on stdin (never argv):
 * with a certificate it serves over TLS (the "TLS floor"), with the server's own TLS policy.
 * Prints `{"port":N}` when listening. `--workers N` (N > 1): N processes (node:cluster, the
 * same bare handler in each, sharing the port like `serve --workers`); the primary hands each
 * worker the input over the IPC channel and serves nothing itself. `--cache-kib N`: SQLite's
 * page cache (default 2048; bench:api passes the server's storage.pageCacheKiB).
 */
import cluster from 'node:cluster'
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3-multiple-ciphers'

const args = parseArgs({
  options: {
    workers: { type: 'string', default: '1' },
    // The page cache of the served file: bench:api passes the server's storage.pageCacheKiB, so
    // the floor and the full stack cache the same pages.
    'cache-kib': { type: 'string', default: '2048' },
  },
}).values
const workers = Number(args.workers)
const cacheKiB = Number(args['cache-kib'])
if (!Number.isInteger(cacheKiB) || cacheKiB < 64) throw new Error('--cache-kib: an integer ≥ 64')
if (cluster.isPrimary && workers > 1) {
  const input = readFileSync(0, 'utf8')
  let printed = false
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork()
    // A worker asks for the input once its listener is in place, then reports its port.
    worker.on('message', (message: { ask?: true; port?: number }) => {
      if (message.ask === true) {
        worker.send(input)
        return
      }
      if (printed) return
      printed = true
      process.stdout.write(JSON.stringify({ port: message.port }) + '\n')
    })
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM')
    cluster.disconnect()
  })
} else {
  const input = cluster.isWorker
    ? await new Promise<string>((res) => {
        process.once('message', (m: string) => {
          res(m)
        })
        process.send?.({ ask: true })
      })
    : readFileSync(0, 'utf8')
  serve(input)
}

function serve(input: string): void {
  const [file, keyHex, certB64, keyB64] = input.split('\n')
  const db = new Database(file ?? '', { fileMustExist: true })
  db.pragma("cipher='aegis'")
  db.pragma(`key="x'${keyHex ?? ''}'"`)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma(`cache_size = -${String(cacheKiB)}`)

  const getById = db.prepare('SELECT * FROM account WHERE accountid = ?')
  const query = db.prepare(
    "SELECT accountid, name, revenue, versionnumber FROM account WHERE lower(name) LIKE lower(?) ESCAPE '\\' ORDER BY accountid LIMIT 50",
  )
  const insert = db.prepare(
    'INSERT INTO account (accountid, name, createdon, modifiedon, createdby, modifiedby, ownerid, owningbusinessunit, statecode, statuscode, versionnumber) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 1, 1)',
  )

  const handler: RequestListener = (req, res) => {
    const url = req.url ?? ''
    if (req.method === 'GET' && url.startsWith('/accounts/')) {
      const row = getById.get(url.slice('/accounts/'.length))
      res.writeHead(row === undefined ? 404 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(row ?? {}))
      return
    }
    if (req.method === 'GET' && url.startsWith('/accounts?q=')) {
      const rows = query.all(`%${decodeURIComponent(url.slice('/accounts?q='.length))}%`)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ value: rows }))
      return
    }
    if (req.method === 'POST' && url === '/accounts') {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        const data = JSON.parse(body) as { name: string; owner: string; bu: string }
        const id = crypto.randomUUID()
        const now = new Date().toISOString().slice(0, 19) + 'Z'
        insert.run(id, data.name, now, now, data.owner, data.owner, data.owner, data.bu)
        res.writeHead(204, { 'odata-entityid': `/accounts(${id})` })
        res.end()
      })
      return
    }
    res.writeHead(404)
    res.end()
  }
  const server =
    certB64 !== undefined && certB64 !== '' && keyB64 !== undefined
      ? createHttpsServer(
          {
            cert: Buffer.from(certB64, 'base64').toString(),
            key: Buffer.from(keyB64, 'base64').toString(),
            minVersion: 'TLSv1.2',
          },
          handler,
        )
      : createHttpServer(handler)
  server.keepAliveTimeout = 75_000
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    if (cluster.isWorker) process.send?.({ port })
    else process.stdout.write(JSON.stringify({ port }) + '\n')
  })
  process.on('SIGTERM', () => {
    server.close()
    db.close()
    if (cluster.isWorker) process.disconnect()
  })
}
