// Installs dependencies when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work straight after cloning. Uses only Node's standard library.
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import process from 'node:process'

const marker = 'node_modules/.package-lock.json'
const native = 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'
const stale =
  !existsSync(marker) ||
  !existsSync(native) ||
  statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs

if (stale) {
  process.stderr.write(
    'Installing dependencies (npm ci; the SQLite engine and the AEAD addon compile once)...\n',
  )
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' })
} else {
  // Strongroom's own addon (native/aead, the install script): rebuilt when its source changed.
  const addon = 'native/aead/build/Release/strongroom_aead.node'
  if (!existsSync(addon) || statSync(addon).mtimeMs < statSync('native/aead/aead.c').mtimeMs) {
    process.stderr.write('Building the AEAD addon (native/aead)...\n')
    execFileSync('npm', ['run', '--silent', 'install'], { stdio: 'inherit' })
  }
}
