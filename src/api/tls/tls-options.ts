/**
 * TLS settings of the HTTPS server: TLS 1.2 minimum, TLS 1.3 preferred (Node negotiates the
 * highest version both sides support), and for TLS 1.2 only AEAD suites with forward secrecy
 * (ECDHE + AES-GCM / ChaCha20-Poly1305), per RFC 9325 §4.2. TLS 1.3 suites are all AEAD+FS.
 */
export const TLS_MIN_VERSION = 'TLSv1.2'

export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':')

/** RFC 6797: browsers remember for a year to use HTTPS only. */
export const HSTS = 'max-age=31536000; includeSubDomains'
