import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../shared/errors.ts'
import type { Random } from '../shared/random.ts'

/** True when `e` is a Node system error with this errno code. */
export function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && 'code' in e && e.code === code
}

/** Makes a directory's entries durable (POSIX: fsync the directory after create or rename). */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Writes `data` to `file` atomically with mode 0600: a temporary file in the same directory is
 * written and fsynced, then moved into place and the directory fsynced, so a crash leaves either
 * the old file or the new one, never a torn one.
 *
 * With `overwrite: false` the move is a hard link, which fails atomically if `file` exists,
 * so two concurrent creators can't both win.
 *
 * @throws AppError ALREADY_EXISTS when `overwrite` is false and the file exists;
 * DATA_DIR_INVALID when the directory can't be written.
 */
export function writeFileAtomic(
  file: string,
  data: Uint8Array,
  opts: { overwrite: boolean; random: Random; what: string },
): void {
  const dir = path.dirname(file)
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${Buffer.from(opts.random.bytes(8)).toString('hex')}.tmp`,
  )
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600)
    try {
      fs.fchmodSync(fd, 0o600)
      fs.writeSync(fd, data)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    if (opts.overwrite) {
      fs.renameSync(tmp, file)
    } else {
      fs.linkSync(tmp, file)
      fs.unlinkSync(tmp)
    }
    fsyncDirectory(dir)
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    if (isErrno(e, 'EEXIST')) {
      throw new AppError('ALREADY_EXISTS', `The ${opts.what} already exists.`, { cause: e })
    }
    throw new AppError('DATA_DIR_INVALID', `The ${opts.what} cannot be written.`, { cause: e })
  }
}
