import {
  createPrivateKey,
  generateKeyPair,
  generateKeyPairSync,
  X509Certificate,
  type KeyObject,
} from 'node:crypto'
import { promisify } from 'node:util'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import forge from 'node-forge'
import { z } from 'zod'
import { open, seal } from '../../crypto/index.ts'
import { writeFileAtomic } from '../../keys/durable-file.ts'
import type { Clock } from '../../shared/clock.ts'
import { AppError } from '../../shared/errors.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'

export interface ServerCredentials {
  /** PEM chain: server certificate first. */
  readonly certPem: string
  /** PKCS#8 PEM of the server key, in memory only. */
  readonly keyPem: string
  /** Where clients find the CA certificate to trust (local CA only). */
  readonly caCertFile: string | null
  readonly notAfter: Date
  /**
   * Local CA with `issuing` only (host routing): issues a server certificate for other DNS
   * names (`*.<tenant>.<host>`, asked for by SNI) from the CA key, which is then kept in
   * memory; without it the CA key is dropped after start-up.
   */
  readonly issue?: (dnsNames: readonly string[]) => Promise<{ certPem: string; keyPem: string }>
}

const generateKeyPairAsync = promisify(generateKeyPair)
const DAY = 86_400_000
const SERVER_DAYS = 397 // CA/Browser Forum baseline requirements: at most 398 days
const RENEW_BEFORE_DAYS = 30

const Bundle = z.strictObject({
  format: z.literal(1),
  caCert: z.string().max(8192),
  caKey: z.string().max(8192),
  serverCert: z.string().max(8192),
  serverKey: z.string().max(8192),
})
type Bundle = z.infer<typeof Bundle>

const AAD = (what: string) => new TextEncoder().encode(`strongroom/tls/${what}/v1`)

function sealKey(key: Secret, privateKey: KeyObject, what: string, random: Random): string {
  const der = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }))
  try {
    return Buffer.from(seal(key, der, AAD(what), random)).toString('base64url')
  } finally {
    der.fill(0)
  }
}

function unsealKey(key: Secret, sealed: string, what: string): KeyObject {
  const der = open(key, Buffer.from(sealed, 'base64url'), AAD(what))
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  } finally {
    der.fill(0)
  }
}

const toForgePrivate = (k: KeyObject) =>
  forge.pki.privateKeyFromPem(k.export({ type: 'pkcs8', format: 'pem' }).toString())

function serial(random: Random): string {
  const bytes = random.bytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f // positive (RFC 5280 §4.1.2.2)
  return Buffer.from(bytes).toString('hex')
}

async function newKeyPairAsync(): Promise<{ privateKey: KeyObject; publicPem: string }> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 })
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

function newKeyPair(): { privateKey: KeyObject; publicPem: string } {
  // RSA-2048 generated natively; node-forge only assembles and signs the certificate.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

function certificate(input: {
  serial: string
  subject: string
  issuer: forge.pki.Certificate | null
  publicPem: string
  signer: KeyObject
  notBefore: Date
  notAfter: Date
  ca: boolean
  /** Server certificates: DNS names besides localhost, 127.0.0.1 and ::1. */
  dnsNames?: readonly string[]
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.serialNumber = input.serial
  cert.publicKey = forge.pki.publicKeyFromPem(input.publicPem)
  cert.validity.notBefore = input.notBefore
  cert.validity.notAfter = input.notAfter
  cert.setSubject([{ name: 'commonName', value: input.subject }])
  cert.setIssuer(
    input.issuer === null
      ? [{ name: 'commonName', value: input.subject }]
      : input.issuer.subject.attributes,
  )
  cert.setExtensions(
    input.ca
      ? [
          { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ]
      : [
          { name: 'basicConstraints', cA: false, critical: true },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              ...(input.dnsNames ?? []).map((value) => ({ type: 2, value })),
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
              { type: 7, ip: '::1' },
            ],
          },
          { name: 'subjectKeyIdentifier' },
        ],
  )
  cert.sign(toForgePrivate(input.signer), forge.md.sha256.create())
  return cert
}

/**
 * The local CA of a fresh install: a CA certificate (10 years) and a server certificate for
 * localhost, 127.0.0.1 and ::1 (397 days, reissued when fewer than 30 days remain). Private
 * keys are stored only sealed (AES-256-GCM under `key`); `ca.pem` is public, for clients.
 * @throws DATA_DIR_INVALID when the stored bundle is damaged
 */
export function loadOrCreateLocalCa(
  dir: string,
  key: Secret,
  deps: { clock: Clock; random: Random },
  options: { issuing?: boolean } = {},
): Promise<ServerCredentials> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, 'local-ca.json')
  const caFile = join(dir, 'ca.pem')
  const now = deps.clock.now()
  let bundle: Bundle
  let caKey: KeyObject
  let caCert: forge.pki.Certificate

  const creating = !existsSync(file)
  if (!creating) {
    let parsed
    try {
      parsed = Bundle.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    } catch {
      parsed = undefined
    }
    if (parsed?.success !== true)
      throw new AppError('DATA_DIR_INVALID', 'The TLS bundle is damaged.')
    bundle = parsed.data
    caCert = forge.pki.certificateFromPem(bundle.caCert)
    caKey = unsealKey(key, bundle.caKey, 'ca')
  } else {
    const pair = newKeyPair()
    caKey = pair.privateKey
    caCert = certificate({
      serial: serial(deps.random),
      subject: `Strongroom local CA ${serial(deps.random).slice(0, 8)}`,
      issuer: null,
      publicPem: pair.publicPem,
      signer: caKey,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 3650 * DAY),
      ca: true,
    })
    bundle = {
      format: 1,
      caCert: forge.pki.certificateToPem(caCert),
      caKey: sealKey(key, caKey, 'ca', deps.random),
      serverCert: '',
      serverKey: '',
    }
  }

  const current = bundle.serverCert === '' ? null : new X509Certificate(bundle.serverCert)
  if (current === null || Date.parse(current.validTo) - now.getTime() < RENEW_BEFORE_DAYS * DAY) {
    const pair = newKeyPair()
    const cert = certificate({
      serial: serial(deps.random),
      subject: 'localhost',
      issuer: caCert,
      publicPem: pair.publicPem,
      signer: caKey,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + SERVER_DAYS * DAY),
      ca: false,
    })
    bundle = {
      ...bundle,
      serverCert: forge.pki.certificateToPem(cert),
      serverKey: sealKey(key, pair.privateKey, 'server', deps.random),
    }
    const text = new TextEncoder().encode(JSON.stringify(bundle, null, 2) + '\n')
    try {
      // A new CA is created exclusively: when several processes start on a fresh data
      // directory at once (serve --workers), one CA wins and the others load it.
      writeFileAtomic(file, text, { overwrite: !creating, random: deps.random, what: 'TLS bundle' })
    } catch (e) {
      if (creating && e instanceof AppError && e.code === 'ALREADY_EXISTS') {
        return loadOrCreateLocalCa(dir, key, deps, options)
      }
      throw e
    }
    writeFileSync(caFile, bundle.caCert, { mode: 0o644 })
  }
  const serverKey = unsealKey(key, bundle.serverKey, 'server')
  const caPem = bundle.caCert
  return Promise.resolve({
    certPem: bundle.serverCert + bundle.caCert,
    keyPem: serverKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    caCertFile: caFile,
    notAfter: new Date(new X509Certificate(bundle.serverCert).validTo),
    ...(options.issuing === true ? { issue } : {}),
  })

  async function issue(dnsNames: readonly string[]): Promise<{ certPem: string; keyPem: string }> {
    // Generated off the event loop: a handshake for a new tenant must not stall the server.
    const pair = await newKeyPairAsync()
    const at = deps.clock.now()
    const cert = certificate({
      serial: serial(deps.random),
      subject: dnsNames[0] ?? 'localhost',
      issuer: caCert,
      publicPem: pair.publicPem,
      signer: caKey,
      notBefore: new Date(at.getTime() - 60_000),
      notAfter: new Date(at.getTime() + SERVER_DAYS * DAY),
      ca: false,
      dnsNames,
    })
    return {
      certPem: forge.pki.certificateToPem(cert) + caPem,
      keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }
  }
}

/** The operator's own certificate chain and key (PEM files). */
export function loadOperatorCredentials(certFile: string, keyFile: string): ServerCredentials {
  try {
    const certPem = readFileSync(certFile, 'utf8')
    const keyPem = readFileSync(keyFile, 'utf8')
    const cert = new X509Certificate(certPem)
    return { certPem, keyPem, caCertFile: null, notAfter: new Date(cert.validTo) }
  } catch (cause) {
    throw new AppError('DATA_DIR_INVALID', 'The configured TLS certificate or key is unreadable.', {
      cause,
    })
  }
}
