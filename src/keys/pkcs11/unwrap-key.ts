import pkcs11js from 'pkcs11js'
import { Secret } from '../../shared/secret.ts'
import type { KeyRef } from '../key-provider.ts'
import type { VersionObjects } from './key-objects.ts'
import { aesGcm, GCM_IV_BYTES, GCM_TAG_BYTES, RSA_X_509, rsaOaepSha256 } from './mechanisms.ts'
import { oaepDecodeSha256 } from './oaep-decode.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'
import { ckrCode, isDataInvalid, unwrapFailed } from './pkcs11-errors.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { usableVersion } from './usable-version.ts'
import { PKCS11_WRAP_FORMAT_V1 } from './wrap-key.ts'

// What a token answers to C_DecryptInit when it does not implement these OAEP parameters
// (SoftHSM 2.6 accepts only SHA-1, MGF1-SHA-1 and an empty label: CKR_ARGUMENTS_BAD).
const PARAMS_UNSUPPORTED = new Set<number>([
  pkcs11js.CKR_ARGUMENTS_BAD,
  pkcs11js.CKR_MECHANISM_PARAM_INVALID,
  pkcs11js.CKR_MECHANISM_INVALID,
])

/** The data step of C_Decrypt: a bad ciphertext is KEY_UNWRAP_FAILED, anything else rethrown. */
function decrypt(h: Pkcs11Handle, input: Buffer, outLength: number): Buffer {
  try {
    return h.p11.C_Decrypt(h.session, input, Buffer.alloc(outLength))
  } catch (e) {
    if (isDataInvalid(e)) throw unwrapFailed(e)
    throw e
  }
}

/**
 * The same, off the event loop: the RSA private-key step takes about a millisecond (RSA-2048)
 * to several (RSA-4096) in a software token, and this lets the provider's other sessions (and
 * the rest of the process) run meanwhile. See pkcs11-session.ts on concurrency.
 */
async function decryptAsync(h: Pkcs11Handle, input: Buffer, outLength: number): Promise<Buffer> {
  try {
    return await h.p11.C_DecryptAsync(h.session, input, Buffer.alloc(outLength))
  } catch (e) {
    if (isDataInvalid(e)) throw unwrapFailed(e)
    throw e
  }
}

/** Moves bytes into a Secret and wipes the source. */
function toSecret(bytes: Uint8Array): Secret {
  const out = new Secret(new Uint8Array(bytes))
  bytes.fill(0)
  return out
}

/**
 * RSA-OAEP (SHA-256, MGF1-SHA-256, context as label; RFC 8017 §7.1.2) with the private key in
 * the token. Tokens that implement those parameters decrypt with CKM_RSA_PKCS_OAEP; tokens that
 * don't (SoftHSM 2.6) do only the raw RSA step, CKM_RSA_X_509, inside the token, and the OAEP
 * decoding runs here in constant time (oaep-decode.ts). Either way the private key stays in the
 * token and the blob format is the same. The choice is made once per provider instance, on the
 * first unwrap, from the token's answer to C_DecryptInit.
 */
async function unwrapRsa(
  ctx: Pkcs11Context,
  h: Pkcs11Handle,
  found: VersionObjects,
  wrapped: Uint8Array,
  context: Uint8Array,
): Promise<Secret> {
  if (found.rsa === undefined) throw new TypeError('not an RSA key version')
  const k = found.rsa.modulus.length
  if (wrapped.length !== 1 + k || wrapped[0] !== PKCS11_WRAP_FORMAT_V1) throw unwrapFailed()
  const c = Buffer.from(wrapped.subarray(1))
  if (ctx.oaep.mode !== 'raw') {
    let isNative = true
    try {
      h.p11.C_DecryptInit(h.session, rsaOaepSha256(context), found.key)
    } catch (e) {
      const code = ckrCode(e)
      if (ctx.oaep.mode === 'native' || code === undefined || !PARAMS_UNSUPPORTED.has(code)) {
        throw e
      }
      isNative = false
      ctx.oaep.mode = 'raw'
      ctx.logger.log('info', 'pkcs11_oaep.software_decoding', {})
    }
    if (isNative) {
      const m = await decryptAsync(h, c, k)
      ctx.oaep.mode = 'native'
      return toSecret(m)
    }
  }
  h.p11.C_DecryptInit(h.session, RSA_X_509, found.key)
  const raw = await decryptAsync(h, c, k)
  // I2OSP (RFC 8017 §4.1): the encoded block is exactly k bytes, leading zeros included.
  const em = Buffer.alloc(k)
  raw.copy(em, k - raw.length)
  raw.fill(0)
  const m = oaepDecodeSha256(em, context)
  em.fill(0)
  if (m === undefined) throw unwrapFailed()
  return toSecret(m)
}

/** AES-256-GCM in the token with the context as AAD (see wrap-key.ts). */
function unwrapAes(
  h: Pkcs11Handle,
  found: VersionObjects,
  wrapped: Uint8Array,
  context: Uint8Array,
): Secret {
  if (wrapped.length < 1 + GCM_IV_BYTES + GCM_TAG_BYTES || wrapped[0] !== PKCS11_WRAP_FORMAT_V1) {
    throw unwrapFailed()
  }
  const iv = wrapped.subarray(1, 1 + GCM_IV_BYTES)
  const c = Buffer.from(wrapped.subarray(1 + GCM_IV_BYTES))
  h.p11.C_DecryptInit(h.session, aesGcm(iv, context), found.key)
  return toSecret(decrypt(h, c, c.length))
}

/**
 * Unwraps a data key wrapped by {@link wrapKey} under the same version and context.
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE (disabled, deleted, token unreachable),
 * KEY_UNWRAP_FAILED (the blob does not decrypt under this key and context)
 */
export async function unwrapKey(
  ctx: Pkcs11Context,
  ref: KeyRef,
  wrapped: Uint8Array,
  context: Uint8Array,
): Promise<Secret> {
  return ctx.session.run(
    (h) => {
      const found = usableVersion(ctx, h, ref)
      return found.type === 'aes-256'
        ? unwrapAes(h, found, wrapped, context)
        : unwrapRsa(ctx, h, found, wrapped, context)
    },
    { retry: true },
  )
}
