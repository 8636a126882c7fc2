import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fixedClock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import type { ErrorCode } from '../shared/errors.ts'
import { cryptoRandom } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'
import { createKeyring, openKeyring, rewrapKeyring } from './keyring.ts'

const code =
  (c: ErrorCode) =>
  (e: unknown): boolean =>
    e instanceof AppError && e.code === c
const newKey = (): Secret => new Secret(cryptoRandom.bytes(32))
const clock = fixedClock(new Date('2030-01-02T03:04:05.000Z'))

/** Every spelling of `key` that could leak it into a text file. */
function spellings(key: Uint8Array): Buffer[] {
  const b = Buffer.from(key)
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('hex').toUpperCase()),
    Buffer.from(b.toString('base64')),
    Buffer.from(b.toString('base64url')),
  ]
}

describe('keyring', () => {
  let dir = ''
  let n = 0
  const fresh = (): string => path.join(dir, `keyring-${String(++n)}.json`)
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-'))
  })
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('round-trips two distinct random keys', () => {
    const file = fresh()
    const master = newKey()
    const created = createKeyring(file, master, cryptoRandom, clock)
    assert.equal(created.control.length, 32)
    assert.equal(created.vault.length, 32)
    assert.notDeepEqual(created.control.expose(), created.vault.expose())
    const opened = openKeyring(file, master)
    assert.equal(opened.installId, created.installId)
    assert.deepEqual(opened.control.expose(), created.control.expose())
    assert.deepEqual(opened.vault.expose(), created.vault.expose())
  })

  it('writes format 1, the install id and createdAt, mode 0600, no temp files left', () => {
    const file = fresh()
    const { installId } = createKeyring(file, newKey(), cryptoRandom, clock)
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
    assert.equal(json['format'], 1)
    assert.equal(json['installId'], installId)
    assert.equal(json['createdAt'], '2030-01-02T03:04:05.000Z')
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    )
  })

  it('holds neither database key nor the master key in any spelling', () => {
    const file = fresh()
    const master = newKey()
    const { control, vault } = createKeyring(file, master, cryptoRandom, clock)
    const bytes = fs.readFileSync(file)
    for (const key of [control, vault, master]) {
      for (const s of spellings(key.expose())) assert.equal(bytes.indexOf(s), -1)
    }
  })

  it('refuses to overwrite an existing keyring', () => {
    const file = fresh()
    const master = newKey()
    const first = createKeyring(file, master, cryptoRandom, clock)
    assert.throws(() => createKeyring(file, master, cryptoRandom, clock), code('ALREADY_EXISTS'))
    assert.deepEqual(openKeyring(file, master).vault.expose(), first.vault.expose())
  })

  it('wrong master key → MASTER_KEY_MISMATCH', () => {
    const file = fresh()
    createKeyring(file, newKey(), cryptoRandom, clock)
    assert.throws(() => openKeyring(file, newKey()), code('MASTER_KEY_MISMATCH'))
  })

  it('missing file → DATA_DIR_NOT_INITIALISED', () => {
    assert.throws(
      () => openKeyring(path.join(dir, 'absent.json'), newKey()),
      code('DATA_DIR_NOT_INITIALISED'),
    )
  })

  it('garbage or wrong-shaped JSON → KEYRING_CORRUPT', () => {
    const master = newKey()
    const good = fresh()
    createKeyring(good, master, cryptoRandom, clock)
    const valid = JSON.parse(fs.readFileSync(good, 'utf8')) as Record<string, unknown>
    const keys = valid['keys'] as Record<string, string>
    const variants: unknown[] = [
      { ...valid, format: 2 },
      { ...valid, extra: true },
      { ...valid, installId: 'not-a-uuid' },
      { ...valid, createdAt: 'yesterday' },
      { ...valid, keys: { ...keys, spare: keys['vault'] } },
      { ...valid, keys: { control: keys['control'] } },
      { ...valid, keys: { ...keys, vault: `${keys['vault'] ?? ''}AAAA` } },
      { ...valid, keys: { ...keys, vault: 'x'.repeat(100_000) } },
      [],
      null,
      42,
    ]
    const texts = ['', '{', 'not json', '\u0000\u0001', ...variants.map((v) => JSON.stringify(v))]
    for (const text of texts) {
      const file = fresh()
      fs.writeFileSync(file, text, { mode: 0o600 })
      assert.throws(() => openKeyring(file, master), code('KEYRING_CORRUPT'), text.slice(0, 80))
    }
  })

  it('a tampered or swapped sealed key does not open', () => {
    const master = newKey()
    const good = fresh()
    createKeyring(good, master, cryptoRandom, clock)
    const valid = JSON.parse(fs.readFileSync(good, 'utf8')) as {
      keys: { control: string; vault: string }
    }
    const swapped = fresh()
    fs.writeFileSync(
      swapped,
      JSON.stringify({ ...valid, keys: { control: valid.keys.vault, vault: valid.keys.control } }),
    )
    assert.throws(() => openKeyring(swapped, master), code('MASTER_KEY_MISMATCH'))

    const flipped = fresh()
    const c = valid.keys.control
    const other = c.charAt(40) === 'A' ? 'B' : 'A'
    fs.writeFileSync(
      flipped,
      JSON.stringify({
        ...valid,
        keys: { ...valid.keys, control: c.slice(0, 40) + other + c.slice(41) },
      }),
    )
    assert.throws(() => openKeyring(flipped, master), code('MASTER_KEY_MISMATCH'))
  })

  it("another installation's keyring entries do not open under this install id", () => {
    const master = newKey()
    const a = fresh()
    const b = fresh()
    createKeyring(a, master, cryptoRandom, clock)
    createKeyring(b, master, cryptoRandom, clock)
    const ja = JSON.parse(fs.readFileSync(a, 'utf8')) as Record<string, unknown>
    const jb = JSON.parse(fs.readFileSync(b, 'utf8')) as Record<string, unknown>
    fs.writeFileSync(a, JSON.stringify({ ...ja, keys: jb['keys'] }))
    assert.throws(() => openKeyring(a, master), code('MASTER_KEY_MISMATCH'))
  })

  it('rewraps under a new master key: same database keys, old master no longer opens it', () => {
    const file = fresh()
    const oldMaster = newKey()
    const newMaster = newKey()
    const created = createKeyring(file, oldMaster, cryptoRandom, clock)
    rewrapKeyring(file, oldMaster, newMaster, cryptoRandom)
    const opened = openKeyring(file, newMaster)
    assert.equal(opened.installId, created.installId)
    assert.deepEqual(opened.control.expose(), created.control.expose())
    assert.deepEqual(opened.vault.expose(), created.vault.expose())
    assert.throws(() => openKeyring(file, oldMaster), code('MASTER_KEY_MISMATCH'))
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    const bytes = fs.readFileSync(file)
    for (const key of [created.control, created.vault, oldMaster, newMaster]) {
      for (const s of spellings(key.expose())) assert.equal(bytes.indexOf(s), -1)
    }
  })

  it('rewrap with the wrong old master fails and leaves the file as it was', () => {
    const file = fresh()
    const master = newKey()
    createKeyring(file, master, cryptoRandom, clock)
    const before = fs.readFileSync(file)
    assert.throws(() => {
      rewrapKeyring(file, newKey(), newKey(), cryptoRandom)
    }, code('MASTER_KEY_MISMATCH'))
    assert.deepEqual(fs.readFileSync(file), before)
    assert.equal(openKeyring(file, master).control.length, 32)
  })

  it('refuses master keys that are not 32 bytes', () => {
    assert.throws(
      () => createKeyring(fresh(), new Secret(new Uint8Array(16)), cryptoRandom, clock),
      RangeError,
    )
  })
})
