import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { AppError } from '../shared/errors.ts'
import type { ErrorCode } from '../shared/errors.ts'
import { cryptoRandom } from '../shared/random.ts'
import type { Random } from '../shared/random.ts'
import { createMasterKeyFile, parseMasterKey, readMasterKeyFile } from './master-key.ts'

const code =
  (c: ErrorCode) =>
  (e: unknown): boolean =>
    e instanceof AppError && e.code === c

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

describe('parseMasterKey', () => {
  const bytes = cryptoRandom.bytes(32)
  const buf = Buffer.from(bytes)

  it('accepts 64 hex characters, either case, trimming whitespace', () => {
    for (const text of [
      buf.toString('hex'),
      buf.toString('hex').toUpperCase(),
      `  ${buf.toString('hex')}\n`,
      `${buf.toString('hex')}\r\n`,
    ]) {
      assert.deepEqual(parseMasterKey(text).expose(), bytes)
    }
  })

  it('accepts base64 (padded or not) and base64url of 32 bytes', () => {
    for (const text of [
      buf.toString('base64'),
      buf.toString('base64').replace(/=$/, ''),
      buf.toString('base64url'),
      `${buf.toString('base64')}\n`,
    ]) {
      assert.deepEqual(parseMasterKey(text).expose(), bytes, text)
    }
  })

  it('refuses other lengths, characters and encodings with MASTER_KEY_INVALID', () => {
    const b31 = Buffer.from(cryptoRandom.bytes(31))
    const b33 = Buffer.from(cryptoRandom.bytes(33))
    const hex = buf.toString('hex')
    const b64 = buf.toString('base64')
    const cases = [
      '',
      '   \n',
      b31.toString('hex'),
      b33.toString('hex'),
      b31.toString('base64'),
      b33.toString('base64'),
      `${hex.slice(0, 63)}g`,
      `${hex.slice(0, 32)} ${hex.slice(32)}`,
      `0x${hex}`,
      `${b64.slice(0, 42)}!=`,
      // Non-canonical: the 43rd character's 2 low bits are padding and must be zero.
      `${b64.slice(0, 42)}${ALPHABET[ALPHABET.indexOf(b64.charAt(42)) + 1] ?? ''}=`,
      '0'.repeat(64),
      Buffer.alloc(32).toString('base64'),
      `${b64}${b64}`,
    ]
    for (const text of cases) {
      assert.throws(() => parseMasterKey(text), code('MASTER_KEY_INVALID'), JSON.stringify(text))
    }
  })

  it('never echoes the input in the error', () => {
    const text = `${buf.toString('hex').slice(0, 62)}zz`
    assert.throws(
      () => parseMasterKey(text),
      (e: unknown) =>
        e instanceof AppError &&
        !e.message.includes(text.slice(0, 16)) &&
        !JSON.stringify(e.details).includes(text.slice(0, 16)),
    )
  })
})

describe('master key files', () => {
  let dir = ''
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-'))
  })
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('creates a 0600 file holding hex and a newline, and reads it back', () => {
    const file = path.join(dir, 'created.key')
    const oldMask = process.umask(0)
    try {
      const key = createMasterKeyFile(file, cryptoRandom)
      assert.equal(fs.statSync(file).mode & 0o777, 0o600)
      const text = fs.readFileSync(file, 'latin1')
      assert.match(text, /^[0-9a-f]{64}\n$/)
      assert.deepEqual(readMasterKeyFile(file).expose(), key.expose())
    } finally {
      process.umask(oldMask)
    }
  })

  it('uses the injected random source', () => {
    const fixed = new Uint8Array(32).fill(0xab)
    const random: Random = { bytes: () => fixed.slice(), uuid: () => cryptoRandom.uuid() }
    const file = path.join(dir, 'fixed.key')
    createMasterKeyFile(file, random)
    assert.equal(fs.readFileSync(file, 'latin1'), `${'ab'.repeat(32)}\n`)
  })

  it('refuses to overwrite: ALREADY_EXISTS, file unchanged', () => {
    const file = path.join(dir, 'twice.key')
    createMasterKeyFile(file, cryptoRandom)
    const before = fs.readFileSync(file)
    assert.throws(() => createMasterKeyFile(file, cryptoRandom), code('ALREADY_EXISTS'))
    assert.deepEqual(fs.readFileSync(file), before)
  })

  it('refuses to follow a symlink when creating', () => {
    const target = path.join(dir, 'symlink-target')
    const link = path.join(dir, 'symlink.key')
    fs.symlinkSync(target, link)
    assert.throws(() => createMasterKeyFile(link, cryptoRandom), code('ALREADY_EXISTS'))
    assert.equal(fs.existsSync(target), false)
  })

  it('reports a missing directory as DATA_DIR_INVALID', () => {
    assert.throws(
      () => createMasterKeyFile(path.join(dir, 'nope', 'm.key'), cryptoRandom),
      code('DATA_DIR_INVALID'),
    )
  })

  it('refuses files group or others can access, naming chmod 600', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o601]) {
      const file = path.join(dir, `mode-${mode.toString(8)}.key`)
      fs.writeFileSync(file, `${Buffer.from(cryptoRandom.bytes(32)).toString('hex')}\n`)
      fs.chmodSync(file, mode)
      assert.throws(
        () => readMasterKeyFile(file),
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'MASTER_KEY_INVALID' &&
          e.message.includes('chmod 600'),
      )
    }
  })

  it('accepts 0400', () => {
    const file = path.join(dir, 'readonly.key')
    fs.writeFileSync(file, Buffer.from(cryptoRandom.bytes(32)).toString('base64'), { mode: 0o400 })
    fs.chmodSync(file, 0o400)
    assert.equal(readMasterKeyFile(file).length, 32)
  })

  it('reports a missing file as MASTER_KEY_MISSING', () => {
    assert.throws(() => readMasterKeyFile(path.join(dir, 'absent.key')), code('MASTER_KEY_MISSING'))
  })

  it('refuses directories, symlinks, garbage and oversized files', () => {
    const sub = path.join(dir, 'a-directory')
    fs.mkdirSync(sub, { mode: 0o700 })
    assert.throws(() => readMasterKeyFile(sub), code('MASTER_KEY_INVALID'))

    const real = path.join(dir, 'real.key')
    createMasterKeyFile(real, cryptoRandom)
    const link = path.join(dir, 'link.key')
    fs.symlinkSync(real, link)
    assert.throws(() => readMasterKeyFile(link), code('MASTER_KEY_INVALID'))

    const garbage = path.join(dir, 'garbage.key')
    fs.writeFileSync(garbage, 'not a key\n', { mode: 0o600 })
    assert.throws(() => readMasterKeyFile(garbage), code('MASTER_KEY_INVALID'))

    const big = path.join(dir, 'big.key')
    fs.writeFileSync(big, 'a'.repeat(4096), { mode: 0o600 })
    assert.throws(() => readMasterKeyFile(big), code('MASTER_KEY_INVALID'))
  })
})
