// Warnings before a lock (issue 6: "Where Dataverse is weak (no warning before lock…), do
// better"): an uploaded key's certificate expiry and an HSM key's CKA_END_DATE show in `key
// show`/`key list` and give one tenant-history entry per key per day from the key-health
// check; the check records each key's health, so an unreachable provider shows in `key show`
// and `env show` while nothing locks.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import forge from 'node-forge'
import type { Strongroom } from '../../src/app.ts'
import { findEnvironment } from '../../src/control/environments/environment.ts'
import { listHistory } from '../../src/control/history.ts'
import { checkKeys } from '../../src/control/key-health/check-keys.ts'
import { createTenantKey } from '../../src/control/keys/create-tenant-key.ts'
import { importTenantKey } from '../../src/control/keys/import-tenant-key.ts'
import { describeTenantKey, type TenantKey } from '../../src/control/keys/tenant-keys.ts'
import { addEnvironmentToPolicy } from '../../src/control/policies/add-environment-to-policy.ts'
import { createPolicy } from '../../src/control/policies/create-policy.ts'
import { createEnvironment } from '../../src/control/environments/create-environment.ts'
import { createTenant } from '../../src/control/tenants/create-tenant.ts'
import { Secret } from '../../src/shared/secret.ts'
import { cliJson, tempDir } from '../helpers/cli.ts'
import { openApp } from '../helpers/open-app.ts'
import { createSoftHsmToken, hasSoftHsm, type SoftHsmToken } from '../helpers/softhsm.ts'

const DAY = 24 * 3600 * 1000
const PASSWORD = 'expiring key 7'

/** A PFX with one RSA-2048 key whose certificate ends at `notAfter`. */
function pfx(notAfter: Date): Uint8Array {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  )
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = '01'
  cert.validity.notBefore = new Date(Date.now() - DAY)
  cert.validity.notAfter = notAfter
  cert.setSubject([{ name: 'commonName', value: 'expiring' }])
  cert.setIssuer([{ name: 'commonName', value: 'expiring' }])
  cert.sign(key, forge.md.sha256.create())
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], PASSWORD, { algorithm: 'aes256' })
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
}

describe('warnings before a lock', { skip: !hasSoftHsm() }, () => {
  const dir = tempDir('sr-key-warnings-')
  let token: SoftHsmToken
  let pin = ''
  let app: Strongroom
  const env = (): Record<string, string> => ({ STRONGROOM_PKCS11_PIN: pin, ...master })
  const master = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('hex') }

  before(async () => {
    token = createSoftHsmToken('sr-key-warnings')
    pin = new TextDecoder().decode(token.pin.expose())
    const init = await openApp(dir.path, { init: true, env: env() })
    await init.close()
    const file = path.join(dir.path, 'strongroom.json')
    const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
    settings['keyProviders'] = {
      pkcs11: { modulePath: token.modulePath, tokenLabel: token.tokenLabel },
    }
    fs.writeFileSync(file, JSON.stringify(settings))
    app = await openApp(dir.path, { env: env() })
    await createTenant(app.control, { name: 'acme', actor: 'test' })
    for (const name of ['prod', 'dev']) {
      await createEnvironment(app.control, { tenant: 'acme', name, actor: 'test' })
    }
  })
  after(async () => {
    await app.close()
    token.cleanup()
    dir.remove()
  })

  it('an uploaded key whose certificate expires within 30 days: key show, key list, one history entry a day', async () => {
    const notAfter = new Date(Date.now() + 10 * DAY)
    const password = new Secret(new TextEncoder().encode(PASSWORD))
    await importTenantKey(app.control, {
      tenant: 'acme',
      name: 'soon',
      pfx: pfx(notAfter),
      password,
      actor: 'test',
    })
    password.dispose()
    await createPolicy(app.control, { tenant: 'acme', name: 'p-soon', key: 'soon', actor: 'test' })
    await addEnvironmentToPolicy(app.control, {
      tenant: 'acme',
      policy: 'p-soon',
      env: 'prod',
      actor: 'test',
    })
    const key = await describeTenantKey(app.control, 'acme', 'soon')
    assert.equal(
      key.versions[0]?.expiresAt,
      new Date(Math.floor(notAfter.getTime() / 1000) * 1000).toISOString(),
    )
    assert.deepEqual(
      key.warnings.map((w) => [w.code, w.version]),
      [['expiring', 1]],
    )
    assert.match(key.warnings[0]?.message ?? '', /expires on .* \(in 10 day\(s\)\)/)

    await app.close()
    const listed = await cliJson<TenantKey[]>(dir.path, ['key', 'list', '--tenant', 'acme'], {
      env: env(),
    })
    assert.deepEqual(
      listed.find((k) => k.name === 'soon')?.warnings.map((w) => w.code),
      ['expiring'],
    )
    app = await openApp(dir.path, { env: env() })

    await checkKeys(app.control)
    await checkKeys(app.control)
    const tenant = (await findEnvironment(app.control, 'acme', 'prod')).tenantId
    const warnings = (await listHistory(app.control.db, tenant)).filter(
      (h) => h.action === 'key.expiry-warning',
    )
    assert.equal(warnings.length, 1, 'once per key per day')
    const [entry] = warnings
    assert.ok(entry !== undefined)
    assert.equal(entry.actor, 'system:key-health')
    assert.equal(entry.detail['keyName'], 'soon')
    assert.equal(entry.detail['warning'], 'expiring')
    // Nothing locks because of an expiry.
    assert.equal((await findEnvironment(app.control, 'acme', 'prod')).state, 'active')
    const shown = await describeTenantKey(app.control, 'acme', 'soon')
    assert.equal(shown.health?.state, 'available')
  })

  it('an HSM key: CKA_END_DATE is read best effort, and a token that will not say is no warning', async () => {
    await createTenantKey(app.control, {
      tenant: 'acme',
      name: 'hsm',
      provider: 'pkcs11',
      type: 'rsa-2048',
      actor: 'test',
    })
    // SoftHSM 2.6.1 answers C_GetAttributeValue(CKA_END_DATE) with CKR_GENERAL_ERROR through
    // pkcs11js, set or not (checked), so the date itself is covered by parse-ck-date.test.ts;
    // here: describing still works and gives no expiry and no warning.
    const key = await describeTenantKey(app.control, 'acme', 'hsm')
    assert.equal(key.versions[0]?.expiresAt, null)
    assert.deepEqual(key.warnings, [])
  })

  it('a provider the check cannot reach: key show and env show say since when; nothing locks', async () => {
    const unreachable = { ...app.control, providers: new Map() }
    const results = await checkKeys(unreachable)
    assert.ok(results.some((r) => r.keyName === 'soon' && r.health === 'unreachable'))
    const key = await describeTenantKey(app.control, 'acme', 'soon')
    assert.equal(key.health?.state, 'unreachable')
    const since = key.health.since
    assert.ok(key.warnings.some((w) => w.code === 'unreachable'))
    const prod = await findEnvironment(app.control, 'acme', 'prod')
    assert.equal(prod.state, 'active')
    assert.equal(prod.key.health?.state, 'unreachable')
    await checkKeys(unreachable)
    assert.equal((await describeTenantKey(app.control, 'acme', 'soon')).health?.since, since)

    await checkKeys(app.control)
    const back = await describeTenantKey(app.control, 'acme', 'soon')
    assert.equal(back.health?.state, 'available')
    assert.ok(!back.warnings.some((w) => w.code === 'unreachable'))

    await app.close()
    const shown = await cliJson<{ key: { health: { state: string } | null } }>(
      dir.path,
      ['env', 'show', 'prod', '--tenant', 'acme'],
      { env: env() },
    )
    assert.equal(shown.key.health?.state, 'available')
    app = await openApp(dir.path, { env: env() })
  })
})
