import pkcs11js from 'pkcs11js'
import { AppError, isAppError } from '../../shared/errors.ts'
import type { Logger } from '../../shared/logger.ts'
import { Semaphore } from '../../shared/semaphore.ts'
import type { Secret } from '../../shared/secret.ts'
import { ckrCode, ckrName, isSessionLost, keyUnavailable } from './pkcs11-errors.ts'

/** What an operation gets: the loaded module and a logged-in read/write session. */
export interface Pkcs11Handle {
  readonly p11: pkcs11js.PKCS11
  readonly session: Buffer
}

/**
 * Logged-in read/write sessions to one token, shared by every operation of a provider instance.
 * PKCS#11 v2.40 §5.6 lets a session run one operation at a time, so each operation has a
 * session to itself: up to `maxSessions` run at once (each on its own session), the rest wait
 * their turn in order. pkcs11js runs key generation and the RSA decryption step on libuv's
 * thread pool, so operations on different sessions overlap (a re-wrap of many DEKs uses every
 * core); everything else is synchronous on the event loop.
 */
export interface Pkcs11Session {
  /**
   * Runs `fn` with a session, opening and logging in first if needed. With `retry`, a failure
   * that means the session or token went away (CKR_SESSION_HANDLE_INVALID, CKR_TOKEN_NOT_PRESENT,
   * …) drops the session and runs `fn` once more on a new one; use it only for operations that
   * are safe to repeat.
   *
   * @throws AppError KEY_UNAVAILABLE when the token can't be reached or the login fails.
   */
  run<T>(fn: (h: Pkcs11Handle) => T | Promise<T>, opts: { retry: boolean }): Promise<T>
  /** Closes the sessions. Idempotent; later `run` calls fail with KEY_UNAVAILABLE. */
  close(): void
}

export interface Pkcs11SessionOptions {
  readonly modulePath: string
  readonly tokenLabel: string
  readonly pin: Secret
  readonly logger: Logger
  /** Sessions open at most, so operations running at once (default 4, at least 1). */
  readonly maxSessions?: number
}

/** Enough to keep two to four cores busy with RSA decryptions; HSMs allow far more sessions. */
export const DEFAULT_MAX_SESSIONS = 4

/** PKCS#11 v2.40 §3.2: token labels are blank-padded; some modules pad with NUL instead. */
const trimLabel = (label: string): string => label.replaceAll('\u0000', ' ').trimEnd()

/**
 * Loads the PKCS#11 module and returns a lazily opened session. Nothing touches the token until
 * the first `run`, so a provider can be built while its HSM is down.
 *
 * @throws AppError KEY_PROVIDER_INVALID when the module can't be loaded.
 */
export function openPkcs11Session(opts: Pkcs11SessionOptions): Pkcs11Session {
  const p11 = new pkcs11js.PKCS11()
  try {
    p11.load(opts.modulePath)
  } catch (e) {
    throw new AppError('KEY_PROVIDER_INVALID', "The PKCS#11 module can't be loaded.", { cause: e })
  }
  const slots = new Semaphore(Math.max(1, Math.floor(opts.maxSessions ?? DEFAULT_MAX_SESSIONS)))
  /** Open sessions no operation is using. */
  const idle: Buffer[] = []
  let closed = false

  const drop = (s: Buffer): void => {
    try {
      p11.C_CloseSession(s)
    } catch {
      // The session is already gone (that is usually why it is being dropped).
    }
  }

  const findSlot = (): Buffer | undefined =>
    p11
      .C_GetSlotList(true)
      .find((slot) => trimLabel(p11.C_GetTokenInfo(slot).label) === opts.tokenLabel)

  const connect = (): Buffer => {
    try {
      // PKCS#11 v2.40 §5.4: operations run on libuv's worker threads too, so the module must
      // lock for itself (CKF_OS_LOCKING_OK); without it SoftHSM turns its mutexes off.
      p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK })
    } catch (e) {
      // Initialisation is per process; another provider (or a reload after a token was
      // re-inserted) may have done it already.
      if (ckrCode(e) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw keyUnavailable('C_Initialize failed', e)
      }
    }
    let slot: Buffer | undefined
    try {
      slot = findSlot()
    } catch (e) {
      throw keyUnavailable('slot list failed', e)
    }
    if (slot === undefined) throw keyUnavailable('no token with the configured label')
    let s: Buffer
    try {
      s = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION)
    } catch (e) {
      throw keyUnavailable('C_OpenSession failed', e)
    }
    try {
      // pkcs11js takes the PIN only as a JS string (it passes its UTF-8 bytes as CK_UTF8CHAR,
      // PKCS#11 v2.40 §5.6 C_Login). The string lives for this call only and is never logged.
      p11.C_Login(s, pkcs11js.CKU_USER, new TextDecoder().decode(opts.pin.expose()))
    } catch (e) {
      // PKCS#11 v2.40 §5.6: login state is per application, so a second session of this process
      // is already logged in. The token did not check the PIN again in that case.
      if (ckrCode(e) !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
        drop(s)
        const code = ckrCode(e)
        opts.logger.log('warn', 'pkcs11_session.login_failed', {
          ckr: code === undefined ? undefined : ckrName(code),
        })
        throw keyUnavailable('C_Login failed', e)
      }
    }
    opts.logger.log('info', 'pkcs11_session.opened', {})
    return s
  }

  /** Runs `fn` on an idle session (or a new one); keeps the session only if `fn` didn't lose it. */
  const attempt = async <T>(fn: (h: Pkcs11Handle) => T | Promise<T>): Promise<T> => {
    const s = idle.pop() ?? connect()
    let isLost = false
    try {
      return await fn({ p11, session: s })
    } catch (e) {
      isLost = isSessionLost(e)
      throw e
    } finally {
      if (isLost) drop(s)
      else idle.push(s)
    }
  }

  return {
    run: async (fn, { retry }) => {
      const release = await slots.acquire()
      try {
        if (closed) throw keyUnavailable('provider closed')
        try {
          return await attempt(fn)
        } catch (e) {
          if (!isSessionLost(e)) throw e
          const code = ckrCode(e)
          opts.logger.log('warn', 'pkcs11_session.lost', {
            ckr: code === undefined ? undefined : ckrName(code),
          })
          // A token that went away took every session with it: the idle ones are dead too.
          for (const s of idle.splice(0)) drop(s)
          if (!retry) throw keyUnavailable('session lost', e)
          try {
            return await attempt(fn)
          } catch (e2) {
            if (isSessionLost(e2)) throw keyUnavailable('session lost again', e2)
            throw e2
          }
        }
      } catch (e) {
        // Anything the module threw that the operation did not classify means the key can't be
        // used right now: fail closed (DESIGN invariant 4) without leaking the CKR code.
        if (isAppError(e) || ckrCode(e) === undefined) throw e
        throw keyUnavailable('module error', e)
      } finally {
        release()
      }
    },
    close: () => {
      if (closed) return
      closed = true
      // After every operation already running: each holds its session until it finishes.
      void slots.acquireAll().then((release) => {
        for (const s of idle.splice(0)) drop(s)
        // No C_Finalize: PKCS#11 v2.40 §5.4 makes it the application's last call, and other
        // providers in this process may share the module. Unloading drops our reference only.
        try {
          p11.close()
        } catch {
          // Already unloaded.
        }
        release()
      })
    },
  }
}
