// @peculiar/x509's declarations name the WebCrypto types as DOM globals. This project compiles
// without the DOM lib (Node only), so the names are mapped to Node's own webcrypto types here.
import type { webcrypto } from 'node:crypto'

declare global {
  type Algorithm = webcrypto.Algorithm
  type AlgorithmIdentifier = webcrypto.AlgorithmIdentifier
  type BufferSource = webcrypto.BufferSource
  type Crypto = webcrypto.Crypto
  type CryptoKey = webcrypto.CryptoKey
  type CryptoKeyPair = webcrypto.CryptoKeyPair
  type EcKeyGenParams = webcrypto.EcKeyGenParams
  type EcKeyImportParams = webcrypto.EcKeyImportParams
  type EcdsaParams = webcrypto.EcdsaParams
  type KeyUsage = webcrypto.KeyUsage
  type RsaHashedImportParams = webcrypto.RsaHashedImportParams
}

export {}
