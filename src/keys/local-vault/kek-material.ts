import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { open, seal } from '../../crypto/aead.ts'
import { encodeContext } from '../../crypto/encode-context.ts'
import type { Random } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import type { KeyRef, KeyType } from '../key-provider.ts'
import { vaultCorrupt } from './vault-errors.ts'

/** An unsealed key encryption key, as cached by one provider instance. */
export type Kek =
  | { readonly type: 'aes-256'; readonly key: Secret }
  | {
      readonly type: 'rsa-2048' | 'rsa-3072' | 'rsa-4096'
      readonly privateKey: KeyObject
      readonly publicKey: KeyObject
    }

const AES_KEY_LENGTH = 32
const RSA_BITS = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 } as const

/**
 * Fresh material for a key of `type`: 32 random bytes for AES-256, or a PKCS#8 DER private key
 * for RSA. RSA generation runs on libuv's thread pool (it takes seconds for 4096 bits) and draws
 * on OpenSSL's CSPRNG, which node:crypto does not let us inject.
 */
export async function generateKekMaterial(type: KeyType, random: Random): Promise<Uint8Array> {
  if (type === 'aes-256') {
    const key = random.bytes(AES_KEY_LENGTH)
    if (key.length !== AES_KEY_LENGTH) throw new RangeError('Random returned the wrong length')
    return key
  }
  const der = await new Promise<Buffer>((resolve, reject) => {
    // NIST SP 800-131A Rev. 2 / SP 800-56B: RSA ≥ 2048 bits, public exponent 65537.
    generateKeyPair(
      'rsa',
      {
        modulusLength: RSA_BITS[type],
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      },
      (err, _publicKey, privateKey) => {
        if (err) reject(err)
        else resolve(privateKey)
      },
    )
  })
  const out = new Uint8Array(der)
  der.fill(0)
  return out
}

// Binds sealed material to its row: copying a row's material onto another key id, version or
// type makes it fail authentication.
const materialAad = (ref: KeyRef, type: KeyType): Uint8Array =>
  encodeContext('strongroom/vault/kek/v1', [ref.keyId, String(ref.version), type])

/** Seals raw KEK material for storage in the vault (AES-256-GCM under the material key). */
export function sealKekMaterial(
  materialKey: Secret,
  ref: KeyRef,
  type: KeyType,
  material: Uint8Array,
  random: Random,
): Uint8Array {
  return seal(materialKey, material, materialAad(ref, type), random)
}

/**
 * Unseals stored KEK material and turns it into a usable {@link Kek}; the raw bytes are wiped.
 *
 * @throws AppError VAULT_CORRUPT when the material doesn't authenticate or has the wrong shape.
 */
export function openKekMaterial(
  materialKey: Secret,
  ref: KeyRef,
  type: KeyType,
  sealed: Uint8Array,
): Kek {
  let raw: Uint8Array
  try {
    raw = open(materialKey, sealed, materialAad(ref, type))
  } catch (e) {
    throw vaultCorrupt(e)
  }
  if (type === 'aes-256') {
    if (raw.length !== AES_KEY_LENGTH) {
      raw.fill(0)
      throw vaultCorrupt()
    }
    return { type, key: new Secret(raw) }
  }
  try {
    const privateKey = createPrivateKey({ key: Buffer.from(raw), format: 'der', type: 'pkcs8' })
    if (
      privateKey.asymmetricKeyType !== 'rsa' ||
      privateKey.asymmetricKeyDetails?.modulusLength !== RSA_BITS[type]
    ) {
      throw vaultCorrupt()
    }
    return { type, privateKey, publicKey: createPublicKey(privateKey) }
  } catch (e) {
    throw vaultCorrupt(e)
  } finally {
    raw.fill(0)
  }
}

/** Forgets a cached KEK, zeroing what can be zeroed (KeyObjects can't be, only dropped). */
export function disposeKek(kek: Kek): void {
  if (kek.type === 'aes-256') kek.key.dispose()
}
