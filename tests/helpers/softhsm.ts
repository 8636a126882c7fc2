// A throwaway SoftHSM2 token for tests: its own token directory and config, initialised through
// PKCS#11 (C_InitToken, C_InitPIN) so no PIN ever appears on a command line.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pkcs11js from 'pkcs11js'
import { cryptoRandom } from '../../src/shared/random.ts'
import { Secret } from '../../src/shared/secret.ts'

/** Where Debian's softhsm2 package puts the module. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so'

export interface SoftHsmToken {
  readonly modulePath: string
  readonly tokenLabel: string
  /** The user PIN. */
  readonly pin: Secret
  /** The token's temporary directory (token files live under it). */
  readonly dir: string
  /** Removes the temporary directory. */
  readonly cleanup: () => void
}

/** True when the SoftHSM2 module is installed (tests skip otherwise). */
export const hasSoftHsm = (): boolean => fs.existsSync(SOFTHSM_MODULE)

/** PKCS#11 v2.40 §3.2 CK_TOKEN_INFO: labels are 32 bytes, blank-padded, not NUL-terminated. */
export const padLabel = (label: string): string => label.padEnd(32, ' ')

const randomPin = (): string => Buffer.from(cryptoRandom.bytes(12)).toString('base64url')

/**
 * Creates a SoftHSM2 configuration in a new temporary directory, points SOFTHSM2_CONF at it (for
 * this process; SoftHSM reads it in C_Initialize), and initialises one token with a random SO
 * PIN and user PIN. Call it before anything in the process initialises the SoftHSM module.
 */
export function createSoftHsmToken(tokenLabel = 'strongroom-test'): SoftHsmToken {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-hsm-'))
  const tokenDir = path.join(dir, 'tokens')
  fs.mkdirSync(tokenDir, { mode: 0o700 })
  const conf = path.join(dir, 'softhsm2.conf')
  fs.writeFileSync(
    conf,
    [
      `directories.tokendir = ${tokenDir}`,
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      '',
    ].join('\n'),
  )
  process.env['SOFTHSM2_CONF'] = conf
  const userPin = randomPin()
  const soPin = randomPin()
  const p11 = new pkcs11js.PKCS11()
  p11.load(SOFTHSM_MODULE)
  p11.C_Initialize()
  try {
    // SoftHSM always offers one slot with an uninitialised token.
    const free = p11.C_GetSlotList(true).find((s) => !hasLabel(p11, s, tokenLabel))
    if (free === undefined) throw new Error('SoftHSM offered no free slot')
    p11.C_InitToken(free, soPin, padLabel(tokenLabel))
    // SoftHSM renumbers its slots after C_InitToken: find the token again by label.
    const slot = p11.C_GetSlotList(true).find((s) => hasLabel(p11, s, tokenLabel))
    if (slot === undefined) throw new Error('The initialised token is not listed')
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION)
    p11.C_Login(session, pkcs11js.CKU_SO, soPin)
    p11.C_InitPIN(session, userPin)
    p11.C_Logout(session)
    p11.C_CloseSession(session)
  } finally {
    p11.C_Finalize()
    p11.close()
  }
  return {
    modulePath: SOFTHSM_MODULE,
    tokenLabel,
    pin: new Secret(new TextEncoder().encode(userPin)),
    dir,
    cleanup: () => {
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

function hasLabel(p11: pkcs11js.PKCS11, slot: Buffer, label: string): boolean {
  return trimLabel(p11.C_GetTokenInfo(slot).label) === label
}

/** A token label without its blank (or, from some modules, NUL) padding. */
export const trimLabel = (label: string): string => label.replaceAll('\u0000', ' ').trimEnd()

/** A second, independent handle on the token: what an HSM administrator's tool would do. */
export function adminHandle(token: SoftHsmToken): {
  p11: pkcs11js.PKCS11
  session: Buffer
  slot: Buffer
} {
  const p11 = new pkcs11js.PKCS11()
  p11.load(token.modulePath)
  try {
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK })
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e
  }
  const slot = p11
    .C_GetSlotList(true)
    .find((s) => trimLabel(p11.C_GetTokenInfo(s).label) === token.tokenLabel)
  if (slot === undefined) throw new Error('token not found')
  const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION)
  try {
    p11.C_Login(session, pkcs11js.CKU_USER, new TextDecoder().decode(token.pin.expose()))
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw e
  }
  return { p11, session, slot }
}
