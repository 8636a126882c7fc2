/**
 * Which page cipher for environment databases? Measures SQLite3 Multiple Ciphers' ciphers
 * against the same engine unencrypted, on a table larger than the page cache (so every read
 * decrypts pages) and with a warm cache. Run: npm run bench:cipher
 * Prints one line of JSON at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes, randomInt } from 'node:crypto'
import Database from 'better-sqlite3-multiple-ciphers'

const ROWS = Number(process.argv[2] ?? 100_000)
const READS = 50_000
const CIPHERS = ['plain', 'aegis', 'chacha20', 'ascon128', 'sqlcipher'] as const

const dir = mkdtempSync(join(tmpdir(), 'sr-cipher-'))
const key = randomBytes(32).toString('hex')
const payload = randomBytes(150).toString('base64')

function open(file: string, cipher: string, cacheKiB: number): Database.Database {
  const db = new Database(file)
  if (cipher !== 'plain') {
    db.pragma(`cipher='${cipher}'`)
    db.pragma(`key="x'${key}'"`)
  }
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma(`cache_size = -${cacheKiB}`)
  return db
}

function opsPerSecond(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint()
  fn()
  return Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9))
}

const results: Record<string, { insert: number; readMiss: number; readHit: number }> = {}
for (const cipher of CIPHERS) {
  const file = join(dir, `${cipher}.db`)
  let db = open(file, cipher, 2048)
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, body TEXT)')
  const insert = db.prepare('INSERT INTO t (id, name, body) VALUES (?, ?, ?)')
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(i, `name ${i}`, payload)
  })
  const insertRate = opsPerSecond(ROWS, () => {
    for (let i = 0; i < ROWS; i += 1000) batch(i, Math.min(ROWS, i + 1000))
  })
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()

  // Cache misses: a 256 KiB page cache against a file of tens of MB.
  db = open(file, cipher, 256)
  const get = db.prepare('SELECT * FROM t WHERE id = ?')
  const ids = Array.from({ length: READS }, () => randomInt(ROWS))
  const readMiss = opsPerSecond(READS, () => {
    for (const id of ids) get.get(id)
  })
  db.close()
  // Cache hits: a page cache larger than the file.
  db = open(file, cipher, 262_144)
  const get2 = db.prepare('SELECT * FROM t WHERE id = ?')
  for (const id of ids) get2.get(id)
  const readHit = opsPerSecond(READS, () => {
    for (const id of ids) get2.get(id)
  })
  db.close()
  results[cipher] = { insert: insertRate, readMiss, readHit }
  process.stderr.write(`${cipher.padEnd(10)} ${JSON.stringify(results[cipher])}\n`)
}
rmSync(dir, { recursive: true, force: true })

const plain = results['plain']
const ratios: Record<string, Record<string, number>> = {}
for (const cipher of CIPHERS.filter((c) => c !== 'plain')) {
  const r = results[cipher]
  if (r === undefined || plain === undefined) continue
  ratios[cipher] = {
    insert: +(r.insert / plain.insert).toFixed(3),
    readMiss: +(r.readMiss / plain.readMiss).toFixed(3),
    readHit: +(r.readHit / plain.readHit).toFixed(3),
  }
}
process.stdout.write(
  JSON.stringify({
    bench: 'cipher-choice',
    rows: ROWS,
    reads: READS,
    results,
    ratiosToPlain: ratios,
  }) + '\n',
)
