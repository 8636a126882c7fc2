import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { AppError } from '../../shared/errors.ts'
import type { Secret } from '../../shared/secret.ts'

/** The largest PFX accepted: a 4096-bit key with a certificate chain is well under this. */
export const MAX_PFX_BYTES = 64 * 1024

/** The RSA sizes an uploaded key may have (DESIGN "Key hierarchy"; dataverse-spec §2). */
const RSA_TYPES = { 2048: 'rsa-2048', 3072: 'rsa-3072', 4096: 'rsa-4096' } as const

/** A validated uploaded key: its private key and the certificate that matches it. */
export interface ParsedPfx {
  readonly type: 'rsa-2048' | 'rsa-3072' | 'rsa-4096'
  readonly privateKey: KeyObject
  /** PKCS#8 DER of the private key; the caller seals it and wipes this. */
  readonly privateKeyDer: Uint8Array
  /** DER of the matching certificate (public). */
  readonly certificateDer: Uint8Array
  readonly notAfter: Date
}

/** AppError KEY_IMPORT_INVALID naming the rule that failed, never the password or the input. */
const invalid = (rule: string, cause?: unknown): AppError =>
  new AppError('KEY_IMPORT_INVALID', `The key file was refused: ${rule}.`, { cause })

// node-forge represents bytes as "binary strings" (one char per byte). They are converted at
// once; JS strings can't be wiped, which is why forge is used only to open the PKCS#12 layers
// and node:crypto for everything the key does afterwards.
const fromBinary = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'binary'))

// RFC 7292 §4.2: SafeBag types.
const OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1'
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2'
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3'

const bagsOf = (p12: forge.pkcs12.Pkcs12Pfx, oid: string): forge.pkcs12.Bag[] =>
  p12.getBags({ bagType: oid })[oid] ?? []

/** Which bag holds the private key, and the key as PKCS#8 DER (forge parses only RSA keys). */
function keyBagDer(bag: forge.pkcs12.Bag): Uint8Array {
  // forge's types omit it, but it sets `key` to null for a key it can't parse.
  const key = bag.key as forge.pki.rsa.PrivateKey | null | undefined
  if (key !== undefined && key !== null) {
    const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))
    return fromBinary(forge.asn1.toDer(info).getBytes())
  }
  // forge leaves non-RSA keys (EC, DSA) undecoded in bag.asn1: decode them with node:crypto to
  // say what they are.
  const asn1 = (bag as { asn1?: forge.asn1.Asn1 }).asn1
  if (asn1 === undefined) throw invalid('the private key could not be read')
  return fromBinary(forge.asn1.toDer(asn1).getBytes())
}

/**
 * Validates an uploaded PKCS#12/PFX file (dataverse-spec §2 "Legacy BYOK": password-protected,
 * RSA) and returns its key and certificate. Rules, each its own message: at most 64 KiB; a
 * PKCS#12 file; the password opens it (MAC, RFC 7292 §5.1); the private key is in a
 * password-encrypted bag (pkcs8ShroudedKeyBag, RFC 7292 §4.2.2); exactly one private key; RSA
 * (not EC or DSA) of 2048, 3072 or 4096 bits; a certificate whose public key matches it; the
 * certificate is valid at `now`.
 *
 * @throws AppError KEY_IMPORT_INVALID
 */
export function parsePfx(pfx: Uint8Array, password: Secret, now: Date): ParsedPfx {
  if (pfx.length > MAX_PFX_BYTES) throw invalid('it is larger than 64 KiB')
  if (pfx.length === 0) throw invalid('it is empty')
  let p12: forge.pkcs12.Pkcs12Pfx
  try {
    const asn1 = forge.asn1.fromDer(Buffer.from(pfx).toString('binary'), true)
    // forge takes the password as a JS string (it encodes it as a BMPString, RFC 7292 App. B.1).
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, new TextDecoder().decode(password.expose()))
  } catch (e) {
    const isMac = e instanceof Error && /MAC could not be verified/u.test(e.message)
    throw isMac
      ? invalid('the password is wrong or the file was altered', e)
      : invalid('it is not a readable PKCS#12/PFX file (or the password is wrong)', e)
  }
  const shrouded = bagsOf(p12, OID_SHROUDED_KEY_BAG)
  const plain = bagsOf(p12, OID_KEY_BAG)
  if (plain.length > 0) throw invalid('the private key is not password-protected')
  const keyBags = shrouded
  if (keyBags.length === 0) throw invalid('it holds no private key')
  if (keyBags.length > 1) throw invalid('it holds more than one private key')
  const [bag] = keyBags
  if (bag === undefined) throw invalid('it holds no private key')

  const der = keyBagDer(bag)
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  } catch (e) {
    der.fill(0)
    throw invalid('the private key could not be read', e)
  }
  try {
    if (privateKey.asymmetricKeyType !== 'rsa') {
      throw invalid('the private key must be RSA (EC, DSA and other key types are not accepted)')
    }
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0
    const type = (RSA_TYPES as Record<number, ParsedPfx['type'] | undefined>)[bits]
    if (type === undefined) throw invalid('the RSA key must be 2048, 3072 or 4096 bits')

    const certBags = bagsOf(p12, OID_CERT_BAG)
    if (certBags.length === 0) throw invalid('it holds no certificate for the private key')
    let match: X509Certificate | undefined
    for (const c of certBags) {
      // As for keys: `cert` is null for a certificate forge can't parse (a non-RSA one).
      const cert = c.cert as forge.pki.Certificate | null | undefined
      const certAsn1 =
        cert !== undefined && cert !== null
          ? forge.pki.certificateToAsn1(cert)
          : (c as { asn1?: forge.asn1.Asn1 }).asn1
      if (certAsn1 === undefined) continue
      let x509: X509Certificate
      try {
        x509 = new X509Certificate(Buffer.from(forge.asn1.toDer(certAsn1).getBytes(), 'binary'))
      } catch {
        continue
      }
      if (x509.checkPrivateKey(privateKey)) {
        match = x509
        break
      }
    }
    if (match === undefined) throw invalid('no certificate in it matches the private key')
    const notBefore = new Date(match.validFrom)
    const notAfter = new Date(match.validTo)
    if (now.getTime() > notAfter.getTime()) throw invalid('the certificate has expired')
    if (now.getTime() < notBefore.getTime()) throw invalid('the certificate is not valid yet')
    return {
      type,
      privateKey,
      privateKeyDer: der,
      certificateDer: new Uint8Array(match.raw),
      notAfter,
    }
  } catch (e) {
    der.fill(0)
    throw e
  }
}
