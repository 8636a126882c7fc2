// Installs dependencies when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work straight after cloning. Uses only Node's standard library.
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import process from 'node:process'

const marker = 'node_modules/.package-lock.json'
const native = 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'
// Strongroom's own addon (native/aead), built by the package's install script.
const aead = 'native/aead/build/Release/strongroom_aead.node'
const stale =
  !existsSync(marker) ||
  !existsSync(native) ||
  !existsSync(aead) ||
  statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs

if (stale) {
  process.stderr.write(
    'Installing dependencies (npm ci; the SQLite engine and the AEAD addon compile once)...\n',
  )
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' })
}
