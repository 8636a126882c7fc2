import pkcs11js from 'pkcs11js'
import type { KeyRef, KeyType } from '../key-provider.ts'
import { objectId, objectLabel, RSA_BITS } from './key-objects.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'

const AES_KEY_BYTES = 32
// NIST SP 800-131A Rev. 2 / SP 800-56B: RSA ≥ 2048 bits, public exponent 65537.
const PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01])

/**
 * Generates one key version's objects inside the token; the key never exists outside it.
 *
 * PKCS#11 v2.40 §4.8-§4.9 attributes: CKA_TOKEN (persistent), CKA_PRIVATE (visible only after
 * login), CKA_SENSITIVE and CKA_EXTRACTABLE=false (the value can't be read or wrapped out, and
 * the token then reports CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE). The only usage enabled is
 * CKA_DECRYPT (and CKA_ENCRYPT for AES and the RSA public key): no signing, no key wrapping of
 * other token keys, no derivation. CKA_DECRYPT stays modifiable: clearing it is how a version is
 * disabled.
 *
 * @returns every object created (for clean-up if a later step fails).
 */
export async function generateVersion(
  h: Pkcs11Handle,
  ref: KeyRef,
  type: KeyType,
): Promise<Buffer[]> {
  const common: pkcs11js.Template = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_ID, value: objectId(ref) },
    { type: pkcs11js.CKA_LABEL, value: objectLabel(ref) },
  ]
  const locked: pkcs11js.Template = [
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_DECRYPT, value: true },
    { type: pkcs11js.CKA_UNWRAP, value: false },
    { type: pkcs11js.CKA_SIGN, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ]
  if (type === 'aes-256') {
    const key = await h.p11.C_GenerateKeyAsync(h.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      ...common,
      ...locked,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: AES_KEY_BYTES },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
    ])
    return [key]
  }
  // Generation of RSA-4096 takes seconds: the async call runs it off the event loop.
  const pair = await h.p11.C_GenerateKeyPairAsync(
    h.session,
    { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
    [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_MODULUS_BITS, value: RSA_BITS[type] },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: PUBLIC_EXPONENT },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
    ],
    [
      ...common,
      ...locked,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_SIGN_RECOVER, value: false },
    ],
  )
  return [pair.privateKey, pair.publicKey]
}

/** Destroys objects, ignoring failures (clean-up after a failed create). */
export function destroyQuietly(h: Pkcs11Handle, objects: readonly Buffer[]): void {
  for (const object of objects) {
    try {
      h.p11.C_DestroyObject(h.session, object)
    } catch {
      // Best effort: an orphan object without a version record is never used.
    }
  }
}
