import fs from 'node:fs'
import { AppError, type ErrorCode } from '../shared/errors.ts'
import { Secret } from '../shared/secret.ts'

/** Where a configured secret (an HSM PIN) comes from: the environment or a 0600 file. */
export type SecretSource =
  | { readonly kind: 'value'; readonly text: string }
  | { readonly kind: 'file'; readonly path: string }

const isErrno = (e: unknown, code: string): boolean => (e as { code?: unknown }).code === code

/**
 * Reads a secret from its source into a {@link Secret}. A file must be a regular file (not a
 * symlink) that neither group nor others can access (mode & 0o077 === 0, as for the master key),
 * at most `maxBytes` long; one trailing newline is dropped. The value never appears in an error.
 *
 * @throws AppError `code` when the file is missing, too open, too large or empty
 */
export function readSecret(
  source: SecretSource,
  what: string,
  code: ErrorCode,
  maxBytes = 256,
): Secret {
  if (source.kind === 'value') {
    const bytes = new TextEncoder().encode(source.text)
    if (bytes.length === 0 || bytes.length > maxBytes) {
      throw new AppError(code, `The ${what} must be 1 to ${String(maxBytes)} bytes.`)
    }
    return new Secret(bytes)
  }
  let fd: number
  try {
    fd = fs.openSync(source.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch (e) {
    const why = isErrno(e, 'ENOENT') ? 'does not exist' : 'cannot be opened'
    throw new AppError(code, `The ${what} file ${why}.`, { cause: e })
  }
  const buf = Buffer.alloc(maxBytes + 2)
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new AppError(code, `The ${what} file is not a regular file.`)
    if ((st.mode & 0o077) !== 0) {
      throw new AppError(
        code,
        `The ${what} file can be read by group or others; run \`chmod 600\` on it.`,
        { cause: { mode: (st.mode & 0o777).toString(8) } },
      )
    }
    let n = fs.readSync(fd, buf, 0, buf.length, 0)
    if (n > 0 && buf[n - 1] === 0x0a) n -= 1
    if (n > 0 && buf[n - 1] === 0x0d) n -= 1
    if (n === 0 || n > maxBytes) {
      throw new AppError(code, `The ${what} file must hold 1 to ${String(maxBytes)} bytes.`)
    }
    return new Secret(new Uint8Array(buf.subarray(0, n)))
  } finally {
    buf.fill(0)
    fs.closeSync(fd)
  }
}
