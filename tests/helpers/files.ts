import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs'
import { join } from 'node:path'

/** stat/read that treat a file removed meanwhile (SQLite's -shm, -wal) as absent. */
function ifPresent<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined
    throw e
  }
}

/** Every regular file under `dir`, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    const st: Stats | undefined = ifPresent(() => statSync(path))
    if (st?.isDirectory() === true) out.push(...allFiles(path))
    else if (st?.isFile() === true) out.push(path)
  }
  return out
}

/** Files under `dir` whose bytes contain `needle` (as UTF-8, UTF-16LE, hex or base64). */
export function filesContaining(dir: string, needle: string | Uint8Array): string[] {
  const raw = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : Buffer.from(needle)
  const forms = [raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64'))]
  if (typeof needle === 'string') forms.push(Buffer.from(needle, 'utf16le'))
  return allFiles(dir).filter((file) => {
    const bytes = ifPresent(() => readFileSync(file))
    return bytes !== undefined && forms.some((f) => bytes.includes(f))
  })
}
