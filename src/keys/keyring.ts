import fs from 'node:fs'
import { z } from 'zod'
import { AEAD_OVERHEAD, open, seal } from '../crypto/aead.ts'
import { encodeContext } from '../crypto/encode-context.ts'
import { deriveKey } from '../crypto/hkdf.ts'
import type { Clock } from '../shared/clock.ts'
import { AppError, isAppError } from '../shared/errors.ts'
import type { Random } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'
import { isErrno, writeFileAtomic } from './durable-file.ts'

/** The keys a data directory's keyring holds, each a raw 32-byte database key. */
export interface Keyring {
  /** Identifies the installation; also the HKDF salt and part of each key's AAD. */
  readonly installId: string
  /** Raw key of the control-plane database. */
  readonly control: Secret
  /** Raw key of the local key vault database. */
  readonly vault: Secret
}

const KEYRING_FORMAT = 1
const KEY_LENGTH = 32
const INFO = 'strongroom/keyring/v1'
type Purpose = 'control' | 'vault'
// The file is well under 1 KiB; refuse to parse anything that could not be a keyring.
const MAX_FILE_BYTES = 16 * 1024
const SEALED_B64_LENGTH = Math.ceil(((KEY_LENGTH + AEAD_OVERHEAD) * 4) / 3)

const sealedKey = z
  .string()
  .length(SEALED_B64_LENGTH)
  .regex(/^[A-Za-z0-9_-]+$/)
const KeyringFile = z.strictObject({
  format: z.literal(KEYRING_FORMAT),
  installId: z.uuid().max(36),
  createdAt: z.iso.datetime().max(40),
  keys: z.strictObject({ control: sealedKey, vault: sealedKey }),
})
type KeyringFile = z.infer<typeof KeyringFile>

// RFC 5869 §3.1: the install id is a per-installation salt, so two data directories under one
// master key get independent wrapping keys; §3.2: the info string names the purpose and version.
function wrappingKey(master: Secret, installId: string): Secret {
  if (master.length !== KEY_LENGTH) throw new RangeError('The master key must be 32 bytes')
  return deriveKey(master, new TextEncoder().encode(installId), INFO)
}

// The AAD binds each sealed key to its purpose and installation, so the control key can't be
// swapped into the vault slot, nor a key from another data directory's keyring pasted in.
const aad = (purpose: Purpose, installId: string): Uint8Array =>
  encodeContext(INFO, [purpose, installId])

function sealKeys(
  master: Secret,
  installId: string,
  keys: Readonly<Record<Purpose, Secret>>,
  random: Random,
): KeyringFile['keys'] {
  const wk = wrappingKey(master, installId)
  try {
    const sealOne = (p: Purpose): string =>
      Buffer.from(seal(wk, keys[p].expose(), aad(p, installId), random)).toString('base64url')
    return { control: sealOne('control'), vault: sealOne('vault') }
  } finally {
    wk.dispose()
  }
}

function serialise(file: KeyringFile): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(file, null, 2) + '\n')
}

function corrupt(cause?: unknown): AppError {
  return new AppError('KEYRING_CORRUPT', 'The keyring file is damaged or not a keyring.', { cause })
}

function readKeyringFile(file: string): KeyringFile {
  let text: string
  try {
    const st = fs.statSync(file)
    if (!st.isFile() || st.size > MAX_FILE_BYTES) throw corrupt({ path: file })
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    if (isAppError(e)) throw e
    if (isErrno(e, 'ENOENT')) {
      throw new AppError(
        'DATA_DIR_NOT_INITIALISED',
        'The data directory has not been initialised (it has no keyring).',
        { cause: e },
      )
    }
    throw new AppError('DATA_DIR_INVALID', 'The keyring file cannot be read.', { cause: e })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw corrupt(e)
  }
  const parsed = KeyringFile.safeParse(json)
  if (!parsed.success) throw corrupt(parsed.error)
  return parsed.data
}

function openKeys(master: Secret, file: KeyringFile): Keyring {
  const wk = wrappingKey(master, file.installId)
  const opened: Secret[] = []
  try {
    const openOne = (p: Purpose): Secret => {
      const sealed = new Uint8Array(Buffer.from(file.keys[p], 'base64url'))
      let key: Uint8Array
      try {
        key = open(wk, sealed, aad(p, file.installId))
      } catch (e) {
        // GCM can't tell a wrong key from a changed ciphertext; the wrong master key is by far
        // the likelier cause, and the action (use the right key, or restore) covers both.
        throw new AppError(
          'MASTER_KEY_MISMATCH',
          'The master key does not open this data directory.',
          { cause: e },
        )
      }
      if (key.length !== KEY_LENGTH) throw corrupt()
      const s = new Secret(key)
      opened.push(s)
      return s
    }
    return { installId: file.installId, control: openOne('control'), vault: openOne('vault') }
  } catch (e) {
    for (const s of opened) s.dispose()
    throw e
  } finally {
    wk.dispose()
  }
}

/**
 * Creates a data directory's keyring: two fresh random 32-byte database keys (`control`,
 * `vault`), each sealed with AES-256-GCM under HKDF-SHA256(master, salt = installId,
 * info = 'strongroom/keyring/v1'), written atomically with mode 0600.
 *
 * @throws AppError ALREADY_EXISTS when the file exists; DATA_DIR_INVALID when it can't be written.
 * @example
 * const { installId, control, vault } = createKeyring(join(dataDir, 'keyring.json'), master,
 *   cryptoRandom, systemClock)
 */
export function createKeyring(file: string, master: Secret, random: Random, clock: Clock): Keyring {
  const installId = random.uuid()
  const control = new Secret(random.bytes(KEY_LENGTH))
  const vault = new Secret(random.bytes(KEY_LENGTH))
  if (control.length !== KEY_LENGTH || vault.length !== KEY_LENGTH) {
    throw new RangeError('Random returned the wrong length')
  }
  try {
    const content: KeyringFile = {
      format: KEYRING_FORMAT,
      installId,
      createdAt: clock.now().toISOString(),
      keys: sealKeys(master, installId, { control, vault }, random),
    }
    writeFileAtomic(file, serialise(content), { overwrite: false, random, what: 'keyring' })
  } catch (e) {
    control.dispose()
    vault.dispose()
    throw e
  }
  return { installId, control, vault }
}

/**
 * Opens a data directory's keyring with the master key.
 *
 * @throws AppError DATA_DIR_NOT_INITIALISED when the file is missing; KEYRING_CORRUPT when it
 * isn't a well-formed keyring; MASTER_KEY_MISMATCH when the master key doesn't open it.
 */
export function openKeyring(file: string, master: Secret): Keyring {
  return openKeys(master, readKeyringFile(file))
}

/**
 * Re-seals the keyring's database keys under a new master key (master-key rotation). The
 * database keys themselves do not change, so no database is rewritten. The file is replaced
 * atomically: a crash leaves it under either the old master key or the new one.
 *
 * @throws AppError as {@link openKeyring} for the old master key; DATA_DIR_INVALID on write.
 */
export function rewrapKeyring(
  file: string,
  oldMaster: Secret,
  newMaster: Secret,
  random: Random,
): void {
  const current = readKeyringFile(file)
  const keys = openKeys(oldMaster, current)
  try {
    const next: KeyringFile = {
      ...current,
      keys: sealKeys(newMaster, current.installId, keys, random),
    }
    writeFileAtomic(file, serialise(next), { overwrite: true, random, what: 'keyring' })
  } finally {
    keys.control.dispose()
    keys.vault.dispose()
  }
}
