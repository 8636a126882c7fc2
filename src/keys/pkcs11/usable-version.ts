import pkcs11js from 'pkcs11js'
import type { KeyRef } from '../key-provider.ts'
import { keyNotFound } from './describe-key.ts'
import { attributes, findVersion, isValidRef, objectId, readUlong } from './key-objects.ts'
import type { VersionObjects } from './key-objects.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'
import { isSessionLost, keyUnavailable } from './pkcs11-errors.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { readVersionRecords } from './version-records.ts'

/**
 * How long a full lookup (C_FindObjects by CKA_ID, class, type, size) is trusted before it is
 * repeated. Within it a wrap or unwrap still asks the token for the version's status on every
 * call (below); the full lookup is what notices a second key object given the same CKA_ID.
 */
export const FULL_LOOKUP_MS = 1000

/** The key of a version in `ctx.found`. */
export const foundKey = (ref: KeyRef): string => `${ref.keyId}:v${String(ref.version)}`

/**
 * The status of a remembered key object, read from the token now in one call: `gone` when the
 * handle no longer names this version's private or secret key (destroyed or deleted in the
 * HSM, or a handle the token reused), so the caller looks it up in full.
 */
function currentStatus(
  h: Pkcs11Handle,
  objects: VersionObjects,
  ref: KeyRef,
): 'enabled' | 'disabled' | 'gone' {
  let values: Buffer[]
  try {
    values = attributes(h, objects.key, [pkcs11js.CKA_CLASS, pkcs11js.CKA_ID, pkcs11js.CKA_DECRYPT])
  } catch (e) {
    // The session or token went away: the session layer reconnects and retries.
    if (isSessionLost(e)) throw e
    return 'gone'
  }
  const [cls, id, decrypt] = values
  if (cls === undefined || id === undefined || decrypt === undefined) return 'gone'
  const c = readUlong(cls)
  if (c !== pkcs11js.CKO_PRIVATE_KEY && c !== pkcs11js.CKO_SECRET_KEY) return 'gone'
  if (!id.equals(objectId(ref))) return 'gone'
  // PKCS#11 v2.40 §2.1: CK_TRUE is 1.
  return decrypt[0] === 1 ? 'enabled' : 'disabled'
}

/**
 * The objects of an enabled key version. Its status (CKA_DECRYPT) is read from the token on
 * every call, so a version disabled or deleted in the HSM stops working at once (DESIGN
 * invariant 4); the rest of the lookup (which object, its type and public values) is repeated
 * in full at most every FULL_LOOKUP_MS, and at once whenever the remembered object is gone.
 *
 * @throws AppError KEY_NOT_FOUND (never existed), KEY_UNAVAILABLE (disabled, destroyed, deleted)
 */
export function usableVersion(ctx: Pkcs11Context, h: Pkcs11Handle, ref: KeyRef): VersionObjects {
  if (!isValidRef(ref)) throw keyNotFound()
  const now = ctx.clock.now().getTime()
  const remembered = ctx.found.get(foundKey(ref))
  if (remembered !== undefined && now - remembered.at < FULL_LOOKUP_MS && now >= remembered.at) {
    const status = currentStatus(h, remembered.objects, ref)
    if (status === 'enabled') return remembered.objects
    if (status === 'disabled') throw keyUnavailable('key version disabled')
  }
  ctx.found.delete(foundKey(ref))
  const found = findVersion(h, ref)
  if (found === undefined) {
    // Only on this failure path: tell a deleted version from one that never existed.
    if (readVersionRecords(h, ref.keyId).some((r) => r.version === ref.version)) {
      throw keyUnavailable('key version destroyed or deleted from the token')
    }
    throw keyNotFound()
  }
  if (!found.isEnabled) throw keyUnavailable('key version disabled')
  ctx.found.set(foundKey(ref), { objects: found, at: now })
  return found
}
