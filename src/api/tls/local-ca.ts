import { webcrypto } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import { z } from 'zod'
import { open, seal } from '../../crypto/index.ts'
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
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
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

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

async function importKey(sealKey: Secret, sealed: string, what: string) {
  const pkcs8 = open(sealKey, Buffer.from(sealed, 'base64url'), AAD(what))
  return webcrypto.subtle.importKey('pkcs8', pkcs8, ALG, true, ['sign'])
}

async function sealKeyPair(
  sealKey: Secret,
  key: webcrypto.CryptoKey,
  what: string,
  random: Random,
) {
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key))
  try {
    return Buffer.from(seal(sealKey, pkcs8, AAD(what), random)).toString('base64url')
  } finally {
    pkcs8.fill(0)
  }
}

function serial(random: Random): string {
  const bytes = random.bytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f // positive (RFC 5280 §4.1.2.2)
  return Buffer.from(bytes).toString('hex')
}

async function issueServer(
  caCert: x509.X509Certificate,
  caKey: webcrypto.CryptoKey,
  now: Date,
  random: Random,
) {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(random),
    subject: 'CN=localhost',
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + SERVER_DAYS * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  })
  return { cert, key: keys.privateKey }
}

/**
 * The local CA of a fresh install: a CA certificate (10 years) and a server certificate for
 * localhost, 127.0.0.1 and ::1 (397 days, reissued when fewer than 30 days remain). Private
 * keys are stored only sealed (AES-256-GCM under `sealKey`); `ca.pem` is public, for clients.
 * @throws DATA_DIR_INVALID when the stored bundle is damaged
 */
export async function loadOrCreateLocalCa(
  dir: string,
  sealKey: Secret,
  deps: { clock: Clock; random: Random },
): Promise<ServerCredentials> {
  x509.cryptoProvider.set(webcrypto)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, 'local-ca.json')
  const caFile = join(dir, 'ca.pem')
  const now = deps.clock.now()
  let bundle: Bundle
  let caKey: webcrypto.CryptoKey
  let caCert: x509.X509Certificate

  if (existsSync(file)) {
    const parsed = Bundle.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    if (!parsed.success) throw new AppError('DATA_DIR_INVALID', 'The TLS bundle is damaged.')
    bundle = parsed.data
    caCert = new x509.X509Certificate(bundle.caCert)
    caKey = await importKey(sealKey, bundle.caKey, 'ca')
  } else {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
    caKey = keys.privateKey
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(deps.random),
      name: `CN=Strongroom local CA ${serial(deps.random).slice(0, 8)}`,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 3650 * DAY),
      signingAlgorithm: ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    })
    bundle = {
      format: 1,
      caCert: caCert.toString('pem'),
      caKey: await sealKeyPair(sealKey, caKey, 'ca', deps.random),
      serverCert: '',
      serverKey: '',
    }
  }

  let serverCert = bundle.serverCert === '' ? null : new x509.X509Certificate(bundle.serverCert)
  if (
    serverCert === null ||
    serverCert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY
  ) {
    const issued = await issueServer(caCert, caKey, now, deps.random)
    serverCert = issued.cert
    bundle = {
      ...bundle,
      serverCert: issued.cert.toString('pem'),
      serverKey: await sealKeyPair(sealKey, issued.key, 'server', deps.random),
    }
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(bundle, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, file)
    writeFileSync(caFile, bundle.caCert, { mode: 0o644 })
  }
  const serverKey = await importKey(sealKey, bundle.serverKey, 'server')
  const keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', serverKey))
  return {
    certPem: bundle.serverCert + bundle.caCert,
    keyPem,
    caCertFile: caFile,
    notAfter: serverCert.notAfter,
  }
}

/** The operator's own certificate chain and key (PEM files). */
export function loadOperatorCredentials(certFile: string, keyFile: string): ServerCredentials {
  try {
    const certPem = readFileSync(certFile, 'utf8')
    const keyPem = readFileSync(keyFile, 'utf8')
    const cert = new x509.X509Certificate(certPem)
    return { certPem, keyPem, caCertFile: null, notAfter: cert.notAfter }
  } catch (cause) {
    throw new AppError('DATA_DIR_INVALID', 'The configured TLS certificate or key is unreadable.', {
      cause,
    })
  }
}
