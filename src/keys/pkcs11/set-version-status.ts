import pkcs11js from 'pkcs11js'
import { AppError } from '../../shared/errors.ts'
import type { KeyRef, KeyVersionStatus } from '../key-provider.ts'
import { eventForStatus, transitionKeyVersion } from '../key-version-state.ts'
import { keyNotFound } from './describe-key.ts'
import { foundKey } from './usable-version.ts'
import { attribute, findVersion, isValidRef, readUlong } from './key-objects.ts'
import type { VersionObjects } from './key-objects.ts'
import { ckrCause, ckrCode } from './pkcs11-errors.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { readVersionRecords } from './version-records.ts'

// PKCS#11 v2.40 §5.1 (pkcs11js names only the v2.30 codes).
const CKR_ACTION_PROHIBITED = 0x0000001b

/**
 * Sets CKA_DECRYPT (and CKA_ENCRYPT) on a version's objects. PKCS#11 has no standard "disabled"
 * state; these usage attributes are modifiable (PKCS#11 v2.40 §4.4, Table 10 footnote 8), and a
 * token refuses C_Decrypt with a key whose CKA_DECRYPT is false (CKR_KEY_FUNCTION_NOT_PERMITTED),
 * so a disabled version is refused by the HSM itself, not only by Strongroom. The key object is
 * changed first on disable and last on enable, so it never looks enabled too early.
 */
function setUsage(h: Pkcs11Handle, found: VersionObjects, isEnabled: boolean): void {
  const others = found.all.filter((o) => !o.equals(found.key))
  const order = isEnabled ? [...others, found.key] : [found.key, ...others]
  for (const object of order) {
    const cls = readUlong(attribute(h, object, pkcs11js.CKA_CLASS))
    const template: pkcs11js.Template = []
    if (cls !== pkcs11js.CKO_PUBLIC_KEY)
      template.push({ type: pkcs11js.CKA_DECRYPT, value: isEnabled })
    if (cls !== pkcs11js.CKO_PRIVATE_KEY)
      template.push({ type: pkcs11js.CKA_ENCRYPT, value: isEnabled })
    try {
      h.p11.C_SetAttributeValue(h.session, object, template)
    } catch (e) {
      const code = ckrCode(e)
      if (code === pkcs11js.CKR_ATTRIBUTE_READ_ONLY || code === CKR_ACTION_PROHIBITED) {
        throw new AppError(
          'KEY_OPERATION_UNSUPPORTED',
          "This HSM doesn't let Strongroom change a key's usage; disable or destroy it in the HSM.",
          { cause: ckrCause(e) },
        )
      }
      throw e
    }
  }
}

/**
 * Moves a key version through the key-version state machine: disable/enable flip CKA_DECRYPT
 * (see setUsage); destroy is C_DestroyObject on every object of the version (crypto-shred,
 * PKCS#11 v2.40 §5.7). The version record stays, so the version reports `destroyed`.
 *
 * @throws AppError KEY_NOT_FOUND, INVALID_STATE, KEY_UNAVAILABLE, KEY_OPERATION_UNSUPPORTED
 */
export async function setVersionStatus(
  ctx: Pkcs11Context,
  ref: KeyRef,
  status: KeyVersionStatus,
): Promise<void> {
  const event = eventForStatus(status)
  const release = await ctx.changes.lock()
  // Forgotten before and after: the next wrap or unwrap looks the version up in full.
  ctx.found.delete(foundKey(ref))
  try {
    await changeStatus(ctx, ref, event)
  } finally {
    ctx.found.delete(foundKey(ref))
    release()
  }
}

async function changeStatus(
  ctx: Pkcs11Context,
  ref: KeyRef,
  event: ReturnType<typeof eventForStatus>,
): Promise<void> {
  await ctx.session.run(
    (h) => {
      if (!isValidRef(ref)) throw keyNotFound()
      if (!readVersionRecords(h, ref.keyId).some((r) => r.version === ref.version)) {
        throw keyNotFound()
      }
      const found = findVersion(h, ref)
      const current = found === undefined ? 'destroyed' : found.isEnabled ? 'enabled' : 'disabled'
      const next = transitionKeyVersion(current, event)
      if (found === undefined) return
      if (next === 'destroyed') {
        for (const object of found.all) h.p11.C_DestroyObject(h.session, object)
        ctx.logger.log('info', 'key_version.destroyed', { keyId: ref.keyId, version: ref.version })
        return
      }
      setUsage(h, found, next === 'enabled')
    },
    { retry: false },
  )
}
