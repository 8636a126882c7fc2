import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { after, before, describe, it } from 'node:test'
import forge from 'node-forge'
import type { Strongroom } from '../../src/app.ts'
import { startServer, type RunningServer } from '../../src/api/start-server.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'

// An operator gives their own certificate and key instead of the local CA (issue #4).
describe('operator-supplied TLS certificate', () => {
  const dir = tempDir('sr-opcert-')
  let app: Strongroom
  let running: RunningServer
  let caPem = ''

  before(async () => {
    // A test-only CA and server certificate, generated now (no committed keys).
    const make = (cn: string, signer?: { cert: forge.pki.Certificate; key: string }) => {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
      const cert = forge.pki.createCertificate()
      cert.publicKey = forge.pki.publicKeyFromPem(
        pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      )
      cert.serialNumber = '0a' + String(Date.now())
      cert.validity.notBefore = new Date(Date.now() - 60_000)
      cert.validity.notAfter = new Date(Date.now() + 86_400_000)
      cert.setSubject([{ name: 'commonName', value: cn }])
      cert.setIssuer(
        signer === undefined ? [{ name: 'commonName', value: cn }] : signer.cert.subject.attributes,
      )
      cert.setExtensions(
        signer === undefined
          ? [
              { name: 'basicConstraints', cA: true },
              { name: 'keyUsage', keyCertSign: true },
            ]
          : [
              {
                name: 'subjectAltName',
                altNames: [
                  { type: 2, value: 'localhost' },
                  { type: 7, ip: '127.0.0.1' },
                ],
              },
            ],
      )
      const keyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      cert.sign(forge.pki.privateKeyFromPem(signer?.key ?? keyPem), forge.md.sha256.create())
      return { cert, key: keyPem }
    }
    const ca = make('Operator test CA')
    const server = make('localhost', ca)
    caPem = forge.pki.certificateToPem(ca.cert)
    app = await openApp(dir.path, { init: true })
    await app.close()
    const certFile = join(dir.path, 'server.pem')
    const keyFile = join(dir.path, 'server.key')
    writeFileSync(certFile, forge.pki.certificateToPem(server.cert))
    writeFileSync(keyFile, server.key, { mode: 0o600 })
    const settingsFile = join(dir.path, 'strongroom.json')
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
      server: Record<string, unknown>
    }
    settings.server['certFile'] = certFile
    settings.server['keyFile'] = keyFile
    writeFileSync(settingsFile, JSON.stringify(settings))
    app = await openApp(dir.path)
    running = await startServer(app, testDeps, { host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await running.stop()
    await app.close()
    dir.remove()
  })

  it('serves the operator certificate, and creates no local CA', async () => {
    assert.equal(running.caCertFile, null)
    const socket = connect({
      host: '127.0.0.1',
      servername: 'localhost',
      port: running.port,
      ca: caPem,
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve)
      socket.once('error', reject)
    })
    assert.equal(socket.authorized, true)
    assert.equal(socket.getPeerCertificate().subject.CN, 'localhost')
    socket.destroy()
  })

  it('an unreadable certificate file is a clear configuration error', async () => {
    const broken = await openApp(dir.path)
    try {
      const settings = {
        ...broken.config,
        server: { ...broken.config.server, certFile: join(dir.path, 'missing.pem') },
      }
      await assert.rejects(startServer({ ...broken, config: settings }, testDeps, { port: 0 }), {
        code: 'DATA_DIR_INVALID',
      })
    } finally {
      await broken.close()
    }
  })
})
