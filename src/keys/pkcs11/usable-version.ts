import type { KeyRef } from '../key-provider.ts'
import { keyNotFound } from './describe-key.ts'
import { findVersion, isValidRef } from './key-objects.ts'
import type { VersionObjects } from './key-objects.ts'
import { keyUnavailable } from './pkcs11-errors.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { readVersionRecords } from './version-records.ts'

/**
 * The objects of an enabled key version, looked up in the token on every call (never cached),
 * so a version disabled or deleted in the HSM stops working at once (DESIGN invariant 4).
 *
 * @throws AppError KEY_NOT_FOUND (never existed), KEY_UNAVAILABLE (disabled, destroyed, deleted)
 */
export function usableVersion(h: Pkcs11Handle, ref: KeyRef): VersionObjects {
  if (!isValidRef(ref)) throw keyNotFound()
  const found = findVersion(h, ref)
  if (found === undefined) {
    // Only on this failure path: tell a deleted version from one that never existed.
    if (readVersionRecords(h, ref.keyId).some((r) => r.version === ref.version)) {
      throw keyUnavailable('key version destroyed or deleted from the token')
    }
    throw keyNotFound()
  }
  if (!found.isEnabled) throw keyUnavailable('key version disabled')
  return found
}
