import pkcs11js from 'pkcs11js'

/** PKCS#11 v2.40 §2.1.8: CKZ_DATA_SPECIFIED, the only OAEP encoding-parameter source. */
const CKZ_DATA_SPECIFIED = 0x00000001

/** AES-GCM IV length: 96 bits (NIST SP 800-38D §5.2.1.1). */
export const GCM_IV_BYTES = 12
/** AES-GCM tag length: 128 bits (NIST SP 800-38D §5.2.1.2). */
export const GCM_TAG_BYTES = 16

/**
 * CKM_RSA_PKCS_OAEP with SHA-256, MGF1-SHA-256 and `label` as the encoding parameter
 * (PKCS#11 v2.40 §2.1.8 CK_RSA_PKCS_OAEP_PARAMS; RFC 8017 §7.1, label L).
 */
export const rsaOaepSha256 = (label: Uint8Array): pkcs11js.Mechanism => {
  const parameter: pkcs11js.RsaOAEP = {
    type: pkcs11js.CK_PARAMS_RSA_OAEP,
    hashAlg: pkcs11js.CKM_SHA256,
    mgf: pkcs11js.CKG_MGF1_SHA256,
    source: CKZ_DATA_SPECIFIED,
    ...(label.length > 0 ? { sourceData: Buffer.from(label) } : {}),
  }
  return { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter }
}

/** CKM_RSA_X_509: the raw RSA primitive (PKCS#11 v2.40 §2.1.7); OAEP is then decoded here. */
export const RSA_X_509: pkcs11js.Mechanism = { mechanism: pkcs11js.CKM_RSA_X_509 }

/**
 * CKM_AES_GCM with a 96-bit IV, a 128-bit tag and `aad` as additional authenticated data
 * (PKCS#11 v2.40 §2.10.x CK_GCM_PARAMS).
 */
export const aesGcm = (iv: Uint8Array, aad: Uint8Array): pkcs11js.Mechanism => {
  const parameter: pkcs11js.GcmParams = {
    type: pkcs11js.CK_PARAMS_AES_GCM,
    iv: Buffer.from(iv),
    ivBits: GCM_IV_BYTES * 8,
    aad: Buffer.from(aad),
    tagBits: GCM_TAG_BYTES * 8,
  }
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter }
}
