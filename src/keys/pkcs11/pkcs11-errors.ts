import pkcs11js from 'pkcs11js'
import { AppError } from '../../shared/errors.ts'

/** The CK_RV of a pkcs11js error, if it is one. */
export function ckrCode(e: unknown): number | undefined {
  if (e instanceof pkcs11js.Pkcs11Error && typeof e.code === 'number') return e.code
  return undefined
}

/** The CKR_* name of a return value, for logs and `cause` only (never for messages). */
export function ckrName(code: number): string {
  for (const [name, value] of Object.entries(pkcs11js)) {
    if (name.startsWith('CKR_') && value === code) return name
  }
  return `CKR_0x${code.toString(16)}`
}

// PKCS#11 v2.40 §5.1 (return values): these say the session, the login or the token went away,
// not that the key or the data is bad. The session is dropped and opened again once.
const SESSION_LOST = new Set<number>([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_SESSION_COUNT,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_DEVICE_MEMORY,
  pkcs11js.CKR_OPERATION_ACTIVE,
])

/** True when `e` means the session or token is gone, so a fresh session may succeed. */
export function isSessionLost(e: unknown): boolean {
  const code = ckrCode(e)
  return code !== undefined && SESSION_LOST.has(code)
}

// PKCS#11 v2.40 §5.2 C_Decrypt: these come from the data step itself, after C_DecryptInit
// accepted the key and mechanism. SoftHSM 2.6 reports a failed AES-GCM tag as
// CKR_GENERAL_ERROR, so for the data step that code is read as "does not authenticate" too.
const DATA_INVALID = new Set<number>([
  pkcs11js.CKR_ENCRYPTED_DATA_INVALID,
  pkcs11js.CKR_ENCRYPTED_DATA_LEN_RANGE,
  pkcs11js.CKR_DATA_INVALID,
  pkcs11js.CKR_DATA_LEN_RANGE,
  pkcs11js.CKR_GENERAL_ERROR,
])

/** True when a C_Decrypt data-step error means the ciphertext is bad. */
export const isDataInvalid = (e: unknown): boolean => {
  const code = ckrCode(e)
  return code !== undefined && DATA_INVALID.has(code)
}

/** What a failure looks like in `cause`: the CKR name and the PKCS#11 function, nothing else. */
export function ckrCause(e: unknown): unknown {
  const code = ckrCode(e)
  if (code === undefined) return e
  const method = e instanceof pkcs11js.NativeError ? e.method : ''
  return { ckr: ckrName(code), method, error: e }
}

/**
 * AppError KEY_UNAVAILABLE. The message is the same for a missing, disabled or unreachable key
 * and never names a CKR code, a slot or a PIN (STYLE §5.5); those are in `cause`.
 */
export function keyUnavailable(reason: string, e?: unknown): AppError {
  return new AppError('KEY_UNAVAILABLE', 'The HSM key is unavailable.', {
    cause: { reason, detail: e === undefined ? undefined : ckrCause(e) },
  })
}

/** AppError KEY_UNWRAP_FAILED: one message for tampering, wrong context and wrong key. */
export function unwrapFailed(e?: unknown): AppError {
  return new AppError('KEY_UNWRAP_FAILED', "The wrapped key can't be unwrapped with this key.", {
    cause: e === undefined ? undefined : ckrCause(e),
  })
}
