import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../shared/errors.ts'
import type { Random } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'
import { fsyncDirectory, isErrno } from './durable-file.ts'

/** Master key length: 256 bits, the AES-256 / HKDF-SHA256 input size. */
export const MASTER_KEY_LENGTH = 32
// A key file holds 64 hex digits and a newline; anything much larger is not a key file.
const MAX_FILE_BYTES = 1024

const HEX = /^[0-9a-fA-F]{64}$/
// Base64 (RFC 4648 §4) or base64url (§5) of 32 bytes: 43 characters plus optional padding.
const BASE64 = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/

function invalid(): AppError {
  // Never echo the input: it may be a real key with a typo (STYLE §5.5).
  return new AppError(
    'MASTER_KEY_INVALID',
    'The master key must be 32 bytes given as 64 hex characters or 44 base64 characters.',
  )
}

/**
 * Parses a master key given as 64 hex characters or the base64/base64url of exactly 32 bytes.
 * Surrounding whitespace (such as a trailing newline) is ignored.
 *
 * @throws AppError MASTER_KEY_INVALID for anything else, including a key of all zero bytes.
 * @example
 * const master = parseMasterKey(await readStdin())
 */
export function parseMasterKey(text: string): Secret {
  const t = text.trim()
  let bytes: Uint8Array
  if (HEX.test(t)) {
    const buf = Buffer.from(t, 'hex')
    bytes = new Uint8Array(buf)
    buf.fill(0)
  } else if (BASE64.test(t)) {
    const encoding = /[-_]/.test(t) ? 'base64url' : 'base64'
    const buf = Buffer.from(t, encoding)
    // RFC 4648 §3.5: refuse non-canonical text (non-zero pad bits), which Node's decoder would
    // silently accept, so one key has exactly one spelling per alphabet.
    const canonical = buf.toString(encoding).replace(/=+$/, '') === t.replace(/=$/, '')
    if (buf.length !== MASTER_KEY_LENGTH || !canonical) {
      buf.fill(0)
      throw invalid()
    }
    bytes = new Uint8Array(buf)
    buf.fill(0)
  } else {
    throw invalid()
  }
  // An all-zero key is a placeholder, not a key.
  if (bytes.every((b) => b === 0)) throw invalid()
  return new Secret(bytes)
}

/**
 * Reads and parses a master key file. The file must be a regular file that neither group nor
 * others can access (mode & 0o077 === 0), the same rule OpenSSH applies to private keys.
 *
 * @throws AppError MASTER_KEY_MISSING when the file does not exist; MASTER_KEY_INVALID when it
 * is too open, not a regular file or not a key.
 */
export function readMasterKeyFile(file: string): Secret {
  let fd: number
  try {
    // O_NOFOLLOW: the mode we check must be the key file's own, not a symlink target's.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch (e) {
    if (isErrno(e, 'ENOENT')) {
      throw new AppError('MASTER_KEY_MISSING', 'The master key file does not exist.', { cause: e })
    }
    throw new AppError('MASTER_KEY_INVALID', 'The master key file cannot be opened.', { cause: e })
  }
  try {
    // fstat on the open descriptor, so the checked file is the one we read (no TOCTOU).
    const st = fs.fstatSync(fd)
    if (!st.isFile()) {
      throw new AppError('MASTER_KEY_INVALID', 'The master key file is not a regular file.', {
        cause: { path: file },
      })
    }
    if ((st.mode & 0o077) !== 0) {
      throw new AppError(
        'MASTER_KEY_INVALID',
        'The master key file can be read by group or others; run `chmod 600` on it.',
        { cause: { path: file, mode: (st.mode & 0o777).toString(8) } },
      )
    }
    if (st.size > MAX_FILE_BYTES) throw invalid()
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1)
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, 0)
      if (n > MAX_FILE_BYTES) throw invalid()
      // The key text is a string only for the moment parseMasterKey needs it.
      return parseMasterKey(buf.toString('latin1', 0, n))
    } finally {
      buf.fill(0)
    }
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Creates a master key file holding 32 random bytes as hex and a newline, with mode 0600, and
 * returns the key. The file is created exclusively and flushed to disk with its directory entry.
 *
 * @throws AppError ALREADY_EXISTS when the file exists; DATA_DIR_INVALID when its directory is
 * missing or not writable.
 */
export function createMasterKeyFile(file: string, random: Random): Secret {
  const key = random.bytes(MASTER_KEY_LENGTH)
  if (key.length !== MASTER_KEY_LENGTH) throw new RangeError('Random returned the wrong length')
  let fd: number
  try {
    // 'wx' = O_CREAT|O_EXCL: fails if the path exists, including as a symlink (POSIX open(2)).
    fd = fs.openSync(file, 'wx', 0o600)
  } catch (e) {
    if (isErrno(e, 'EEXIST')) {
      throw new AppError('ALREADY_EXISTS', 'The master key file already exists.', { cause: e })
    }
    throw new AppError('DATA_DIR_INVALID', 'The master key file cannot be created.', { cause: e })
  }
  const text = hexLine(key)
  try {
    // umask can only remove bits, but make the mode exact whatever the umask was.
    fs.fchmodSync(fd, 0o600)
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
  } catch (e) {
    fs.closeSync(fd)
    fs.rmSync(file, { force: true })
    throw new AppError('DATA_DIR_INVALID', 'The master key file cannot be written.', { cause: e })
  } finally {
    text.fill(0)
  }
  fs.closeSync(fd)
  fsyncDirectory(path.dirname(file))
  return new Secret(key)
}

const DIGITS = new TextEncoder().encode('0123456789abcdef')

/** Lower-case hex plus '\n' as bytes, so the key never becomes a JS string. */
function hexLine(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2 + 1)
  bytes.forEach((b, i) => {
    out[2 * i] = DIGITS[b >> 4] ?? 0
    out[2 * i + 1] = DIGITS[b & 0x0f] ?? 0
  })
  out[out.length - 1] = 0x0a
  return out
}
