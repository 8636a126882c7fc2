import pkcs11js from 'pkcs11js'
import { isGuid } from '../../shared/ids.ts'
import type { KeyRef, KeyType } from '../key-provider.ts'
import { keyUnavailable } from './pkcs11-errors.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'

/** RSA modulus sizes, in bits, of the RSA key types. */
export const RSA_BITS = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 } as const
const MAX_VERSION = 0xffffffff

/** True when `ref` can name a Strongroom key object (a GUID key id, a 32-bit version ≥ 1). */
export const isValidRef = (ref: KeyRef): boolean =>
  isGuid(ref.keyId) &&
  Number.isInteger(ref.version) &&
  ref.version >= 1 &&
  ref.version <= MAX_VERSION

/**
 * CKA_ID of a key version's objects (PKCS#11 v2.40 §4.7: an application-defined byte string that
 * links a public and private key): the 16 bytes of the key id GUID, then the version as a
 * 4-byte big-endian integer. Exact-match lookup, independent of the human label.
 */
export function objectId(ref: KeyRef): Buffer {
  const out = Buffer.alloc(20)
  Buffer.from(ref.keyId.replaceAll('-', ''), 'hex').copy(out, 0)
  out.writeUInt32BE(ref.version, 16)
  return out
}

/** CKA_LABEL of a key version's objects: what an HSM administrator sees in a listing. */
export const objectLabel = (ref: KeyRef): string =>
  `strongroom:${ref.keyId}:v${String(ref.version)}`

/** CKA_LABEL of a key's version records (CKO_DATA objects, one per version). */
export const recordLabel = (keyId: string): string => `strongroom:${keyId}`

/** CKA_APPLICATION of the version records (PKCS#11 v2.40 §4.5). */
export const RECORD_APPLICATION = 'strongroom'

/** Every object matching `template`, in batches (PKCS#11 v2.40 §5.7 C_FindObjects). */
export function findObjects(h: Pkcs11Handle, template: pkcs11js.Template): Buffer[] {
  h.p11.C_FindObjectsInit(h.session, template)
  try {
    const out: Buffer[] = []
    for (;;) {
      const batch = h.p11.C_FindObjects(h.session, 64)
      if (batch.length === 0) return out
      out.push(...batch)
    }
  } finally {
    h.p11.C_FindObjectsFinal(h.session)
  }
}

/** A CK_ULONG attribute value (native byte order and width, as pkcs11js returns it). */
export function readUlong(value: Buffer): number {
  if (value.length === 8) return Number(value.readBigUInt64LE(0))
  if (value.length === 4) return value.readUInt32LE(0)
  throw new TypeError('Unexpected CK_ULONG width')
}

/** One attribute's raw value. */
export function attribute(h: Pkcs11Handle, object: Buffer, type: number): Buffer {
  const [result] = h.p11.C_GetAttributeValue(h.session, object, [{ type }])
  if (result === undefined) throw new TypeError('C_GetAttributeValue returned nothing')
  return result.value
}

/** Several attributes' raw values in one C_GetAttributeValue call, in the order asked. */
export function attributes(h: Pkcs11Handle, object: Buffer, types: readonly number[]): Buffer[] {
  const result = h.p11.C_GetAttributeValue(
    h.session,
    object,
    types.map((type) => ({ type })),
  )
  return types.map((_, i) => {
    const value = result[i]?.value
    if (!Buffer.isBuffer(value)) throw new TypeError('C_GetAttributeValue returned nothing')
    return value
  })
}

/** The token objects of one key version, as found on the token. */
export interface VersionObjects {
  readonly type: KeyType
  /** The private key (RSA) or the secret key (AES): the object that unwraps. */
  readonly key: Buffer
  /** Every object with this version's CKA_ID, the key included (destroyed together). */
  readonly all: readonly Buffer[]
  /** CKA_DECRYPT of {@link VersionObjects.key}: false means the version is disabled. */
  readonly isEnabled: boolean
  /** RSA only: CKA_MODULUS and CKA_PUBLIC_EXPONENT of the key (public values). */
  readonly rsa?: { readonly modulus: Buffer; readonly publicExponent: Buffer }
}

const RSA_TYPES = Object.entries(RSA_BITS) as [keyof typeof RSA_BITS, number][]

/**
 * Finds one key version's objects by CKA_ID. Returns undefined when its key object is gone
 * (destroyed through Strongroom or deleted by an HSM administrator). Reads what wrap and unwrap
 * need (status, type, the RSA public values) in as few token calls as it can: this runs before
 * every wrap and unwrap, so a version disabled or deleted in the HSM fails at once.
 *
 * @throws AppError KEY_UNAVAILABLE when the objects are ambiguous (two keys with one CKA_ID) or
 * of an unexpected type.
 */
export function findVersion(h: Pkcs11Handle, ref: KeyRef): VersionObjects | undefined {
  const all = findObjects(h, [{ type: pkcs11js.CKA_ID, value: objectId(ref) }])
  const keys: Buffer[] = []
  for (const object of all) {
    const cls = readUlong(attribute(h, object, pkcs11js.CKA_CLASS))
    if (cls === pkcs11js.CKO_PRIVATE_KEY || cls === pkcs11js.CKO_SECRET_KEY) keys.push(object)
  }
  const [key, ...rest] = keys
  if (key === undefined) return undefined
  if (rest.length > 0) throw keyUnavailable('several key objects share one CKA_ID')
  const [keyType = Buffer.alloc(0), decrypt = Buffer.alloc(0)] = attributes(h, key, [
    pkcs11js.CKA_KEY_TYPE,
    pkcs11js.CKA_DECRYPT,
  ])
  // PKCS#11 v2.40 §2.1: CK_TRUE is 1.
  const isEnabled = decrypt[0] === 1
  const kt = readUlong(keyType)
  if (kt === pkcs11js.CKK_AES) {
    if (readUlong(attribute(h, key, pkcs11js.CKA_VALUE_LEN)) === 32) {
      return { type: 'aes-256', key, all, isEnabled }
    }
  } else if (kt === pkcs11js.CKK_RSA) {
    // CKA_MODULUS and CKA_PUBLIC_EXPONENT are not sensitive attributes of an RSA private key
    // (PKCS#11 v2.40 §2.1.3).
    const [modulus = Buffer.alloc(0), publicExponent = Buffer.alloc(0)] = attributes(h, key, [
      pkcs11js.CKA_MODULUS,
      pkcs11js.CKA_PUBLIC_EXPONENT,
    ])
    const type = RSA_TYPES.find(([, bits]) => bits === modulus.length * 8)?.[0]
    if (type !== undefined) return { type, key, all, isEnabled, rsa: { modulus, publicExponent } }
  }
  throw keyUnavailable('token object has an unexpected key type or size')
}
