// Customer-managed keys end to end (issue #6): keys in an HSM (SoftHSM2) and uploaded (BYOK),
// encryption policies, rotate, revoke → lock → restore → unlock, the key-health check, revert
// to the service key, and the canary scan.
import {
  disableEnvironment,
  enableEnvironment,
} from '../../src/control/environments/change-environment-state.ts'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import forge from 'node-forge'
import pkcs11js from 'pkcs11js'
import type { Strongroom } from '../../src/app.ts'
import { ensureUsable, findEnvironment } from '../../src/control/environments/environment.ts'
import { unwrapDataKey } from '../../src/control/environments/unwrap-data-key.ts'
import { listHistory } from '../../src/control/history.ts'
import { checkKeys } from '../../src/control/key-health/check-keys.ts'
import { startKeyHealthChecks } from '../../src/control/key-health/start-key-health-checks.ts'
import type { TenantKey } from '../../src/control/keys/tenant-keys.ts'
import type { EncryptionPolicy } from '../../src/control/policies/policy.ts'
import { objectId } from '../../src/keys/pkcs11/key-objects.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { cli, cliJson, tempDir } from '../helpers/cli.ts'
import { filesContaining } from '../helpers/files.ts'
import { openApp } from '../helpers/open-app.ts'
import {
  adminHandle,
  createSoftHsmToken,
  hasSoftHsm,
  type SoftHsmToken,
} from '../helpers/softhsm.ts'

interface EnvJson {
  state: string
  key: { name: string; provider: string; version: number; managedBy: string }
}
interface Moved {
  policy: EncryptionPolicy
  environment: EnvJson
}

const CANARY = 'canary-cmk-7f3a91'
const errorCode = (stderr: string): string =>
  (JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}') as { error?: { code?: string } }).error
    ?.code ?? ''

/** Adds keyProviders.pkcs11 to the data directory's settings file. */
function configureHsm(dataDir: string, token: SoftHsmToken, pinFile: string): void {
  const file = path.join(dataDir, 'strongroom.json')
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  settings['keyProviders'] = {
    pkcs11: { modulePath: token.modulePath, tokenLabel: token.tokenLabel, pinFile },
  }
  fs.writeFileSync(file, JSON.stringify(settings, null, 2))
}

/** An HSM administrator's own session on the token (not Strongroom's). */
function destroyInToken(token: SoftHsmToken, keyId: string, version: number): number {
  const { p11, session } = adminHandle(token)
  p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: objectId({ keyId, version }) }])
  const found = p11.C_FindObjects(session, 10)
  p11.C_FindObjectsFinal(session)
  for (const o of found) p11.C_DestroyObject(session, o)
  p11.C_CloseSession(session)
  return found.length
}

function pfxFile(dir: string, bits: number, password: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  )
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = '01'
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000)
  const name = [{ name: 'commonName', value: 'Tenant key' }]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.sign(key, forge.md.sha256.create())
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: 'aes256' })
  const file = path.join(dir, `key-${String(bits)}-${String(Date.now())}.pfx`)
  fs.writeFileSync(file, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'))
  return file
}

describe('customer-managed keys', { skip: !hasSoftHsm() && 'softhsm2 not installed' }, () => {
  const dir = tempDir('sr-cmk-')
  const outside = tempDir('sr-cmk-files-')
  let token: SoftHsmToken
  let pin = ''
  let server: Strongroom
  const env: Record<string, string> = {}
  const run = (argv: string[], stdin?: string) =>
    cli(dir.path, [...argv, '--json'], { env, ...(stdin === undefined ? {} : { stdin }) })
  const json = <T>(argv: string[], stdin?: string) =>
    cliJson<T>(dir.path, argv, { env, ...(stdin === undefined ? {} : { stdin }) })
  const ids: Record<string, string> = {}

  before(async () => {
    token = createSoftHsmToken('sr-cmk')
    pin = new TextDecoder().decode(token.pin.expose())
    const pinFile = path.join(token.dir, 'pin')
    fs.writeFileSync(pinFile, pin + '\n', { mode: 0o600 })
    await json(['init'])
    configureHsm(dir.path, token, pinFile)
    await json(['tenant', 'create', 'acme'])
    await json(['env', 'create', 'prod', '--tenant', 'acme'])
    await json(['env', 'create', 'dev', '--tenant', 'acme'])
    for (const e of ['prod', 'dev']) {
      const r = await json<{ id: string }>([
        'record',
        'create',
        'account',
        '--tenant',
        'acme',
        '--env',
        e,
        '--data',
        JSON.stringify({ name: `${CANARY}-${e}` }),
      ])
      ids[e] = r.id
    }
    // The long-running server process: PIN from the environment this time.
    server = await openApp(dir.path, { env: { STRONGROOM_PKCS11_PIN: pin } })
  })
  after(async () => {
    await server.close()
    dir.remove()
    outside.remove()
    token.cleanup()
  })

  const readThroughServer = async (name: string) => {
    const e = await findEnvironment(server.control, 'acme', name)
    ensureUsable(server.control, e)
    return server.records.retrieveRecord(e.id, 'account', ids[name] ?? '')
  }
  const get = (name: string) =>
    run(['record', 'get', 'account', ids[name] ?? '', '--tenant', 'acme', '--env', name])

  it('refuses a pin file group or others can read', async () => {
    const loose = path.join(outside.path, 'loose-pin')
    fs.writeFileSync(loose, pin, { mode: 0o644 })
    fs.chmodSync(loose, 0o644)
    configureHsm(dir.path, token, loose)
    const r = await run(['key', 'list', '--tenant', 'acme'])
    assert.equal(errorCode(r.stderr), 'KEY_PROVIDER_INVALID')
    assert.match(r.stderr, /chmod 600/)
    assert.ok(!r.stderr.includes(pin))
    configureHsm(dir.path, token, path.join(token.dir, 'pin'))
  })

  it('creates an HSM RSA key (customer-managed) and an AES key in the local vault', async () => {
    const hsm = await json<TenantKey>([
      'key',
      'create',
      'hsm',
      '--tenant',
      'acme',
      '--provider',
      'pkcs11',
    ])
    assert.equal(hsm.provider, 'pkcs11')
    assert.equal(hsm.type, 'rsa-2048')
    assert.equal(hsm.managedBy, 'customer')
    assert.equal(hsm.status, 'enabled')
    const local = await json<TenantKey>([
      'key',
      'create',
      'loc',
      '--tenant',
      'acme',
      '--provider',
      'local',
    ])
    assert.equal(local.type, 'aes-256')
    const dup = await run(['key', 'create', 'hsm', '--tenant', 'acme', '--provider', 'local'])
    assert.equal(errorCode(dup.stderr), 'ALREADY_EXISTS')
    const bad = await run([
      'key',
      'create',
      'x',
      '--tenant',
      'acme',
      '--provider',
      'pkcs11',
      '--type',
      'rsa-1024',
    ])
    assert.equal(errorCode(bad.stderr), 'VALIDATION')
  })

  it('policy: region mismatch and service keys are refused with clear errors', async () => {
    const svc = await run(['policy', 'create', 'p0', '--tenant', 'acme', '--key', 'service'])
    assert.equal(errorCode(svc.stderr), 'VALIDATION')
    const noRegion = await run([
      'policy',
      'create',
      'p0',
      '--tenant',
      'acme',
      '--key',
      'hsm',
      '--region',
      'mars',
    ])
    assert.equal(errorCode(noRegion.stderr), 'REGION_NOT_FOUND')
    // A policy for another configured region: add the region, then try to add a local env.
    const file = path.join(dir.path, 'strongroom.json')
    const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as { regions: unknown[] }
    settings.regions.push({ name: 'eu', geography: 'europe' })
    fs.writeFileSync(file, JSON.stringify(settings, null, 2))
    await json([
      'policy',
      'create',
      'eu-policy',
      '--tenant',
      'acme',
      '--key',
      'loc',
      '--region',
      'eu',
    ])
    const r = await run(['policy', 'add-env', 'eu-policy', '--tenant', 'acme', '--env', 'prod'])
    assert.equal(errorCode(r.stderr), 'POLICY_REGION_MISMATCH')
    assert.match(r.stderr, /region 'local'.*region 'eu'/)
  })

  it('adds an environment to an HSM policy: re-wrapped, data readable, env show says customer', async () => {
    const p = await json<EncryptionPolicy>([
      'policy',
      'create',
      'cmk',
      '--tenant',
      'acme',
      '--key',
      'hsm',
    ])
    assert.deepEqual(p.environments, [])
    await readThroughServer('prod') // the server holds an open handle
    const moved = await json<Moved>([
      'policy',
      'add-env',
      'cmk',
      '--tenant',
      'acme',
      '--env',
      'prod',
    ])
    assert.deepEqual(moved.policy.environments, ['prod'])
    assert.equal(moved.environment.key.managedBy, 'customer')
    const shown = await json<EnvJson>(['env', 'show', 'prod', '--tenant', 'acme'])
    assert.deepEqual(
      { provider: shown.key.provider, managedBy: shown.key.managedBy, version: shown.key.version },
      { provider: 'pkcs11', managedBy: 'customer', version: 1 },
    )
    assert.equal((await get('prod')).code, 0) // cold open in a new process: unwrap in the HSM
    await readThroughServer('prod') // and the server keeps serving, no downtime
    const again = await run(['policy', 'add-env', 'cmk', '--tenant', 'acme', '--env', 'prod'])
    assert.equal(errorCode(again.stderr), 'ALREADY_EXISTS')
    const list = await json<EncryptionPolicy[]>(['policy', 'list', '--tenant', 'acme'])
    assert.deepEqual(
      list.map((x) => [x.name, x.key, x.environments.join(',')]),
      [
        ['cmk', 'hsm', 'prod'],
        ['eu-policy', 'loc', ''],
      ],
    )
    const history = await listHistory(
      server.control.db,
      (await findEnvironment(server.control, 'acme', 'prod')).tenantId,
    )
    const added = history.find((h) => h.action === 'policy.environment-added')
    assert.ok(added !== undefined)
    assert.equal(added.detail['keyName'], 'hsm')
    assert.equal(added.detail['version'], 1)
    assert.equal(added.detail['fromKeyName'], 'service')
    assert.match(added.actor, /^cli:/)
  })

  it('rotate re-wraps under the new version; data readable after a cold open', async () => {
    const r = await json<{ key: TenantKey; rewrapped: number }>([
      'key',
      'rotate',
      'hsm',
      '--tenant',
      'acme',
    ])
    assert.equal(r.rewrapped, 1)
    assert.equal(r.key.currentVersion, 2)
    const v = r.key.versions.map((x) => [x.version, x.environmentNames.join(',')])
    assert.deepEqual(v, [
      [1, ''],
      [2, 'prod'],
    ])
    const got = await get('prod')
    assert.equal(got.code, 0, got.stderr)
    assert.ok(got.stdout.includes(`${CANARY}-prod`))
  })

  it('a key destroyed in the HSM: checkKeys locks, data refused, handle evicted, unlock explains', async () => {
    await readThroughServer('prod')
    const prodId = (await findEnvironment(server.control, 'acme', 'prod')).id
    assert.notEqual(server.databases.stamp(prodId), undefined, 'open before')
    const key = await json<TenantKey>(['key', 'show', 'hsm', '--tenant', 'acme'])
    assert.equal(destroyInToken(token, key.keyId, 2), 2)
    const report = await checkKeys(server.control)
    const hsm = report.find((k) => k.keyName === 'hsm')
    assert.deepEqual(
      { health: hsm?.health, locked: hsm?.locked },
      { health: 'missing', locked: ['prod'] },
    )
    assert.equal(server.databases.stamp(prodId), undefined, 'the handle (and DEK) was evicted')
    await assert.rejects(readThroughServer('prod'), { code: 'ENVIRONMENT_LOCKED' })
    const r = await get('prod')
    assert.equal(r.code, 5)
    assert.equal(errorCode(r.stderr), 'ENVIRONMENT_LOCKED')
    assert.equal(r.stdout, '', 'no data printed')
    assert.equal((await json<EnvJson>(['env', 'show', 'prod', '--tenant', 'acme'])).state, 'locked')
    await readThroughServer('dev') // other environments are untouched
    const restore = await json<{ destroyedVersions: number[] }>([
      'key',
      'restore',
      'hsm',
      '--tenant',
      'acme',
    ])
    assert.deepEqual(restore.destroyedVersions, [2])
    const unlock = await run(['env', 'unlock', 'prod', '--tenant', 'acme'])
    assert.equal(errorCode(unlock.stderr), 'KEY_UNAVAILABLE')
    assert.match(unlock.stderr, /stays locked: key 'hsm' version 2 is destroyed/)
    const history = await listHistory(
      server.control.db,
      (await findEnvironment(server.control, 'acme', 'prod')).tenantId,
    )
    const lock = history.find((h) => h.action === 'environment.lock')
    assert.ok(lock !== undefined)
    assert.equal(lock.actor, 'system:key-health')
    assert.equal(lock.detail['reason'], 'key missing')
  })

  it('revoke locks at once; restore keeps it locked; unlock brings the data back intact', async () => {
    await json([
      'key',
      'create',
      'hsm2',
      '--tenant',
      'acme',
      '--provider',
      'pkcs11',
      '--type',
      'rsa-3072',
    ])
    await json(['policy', 'create', 'cmk2', '--tenant', 'acme', '--key', 'hsm2'])
    await json(['policy', 'add-env', 'cmk2', '--tenant', 'acme', '--env', 'dev'])
    await readThroughServer('dev')
    const revoked = await json<{
      lockedEnvironments: string[]
      disabledVersions: number[]
      key: TenantKey
    }>(['key', 'revoke', 'hsm2', '--tenant', 'acme'])
    assert.deepEqual(revoked.lockedEnvironments, ['dev'])
    assert.deepEqual(revoked.disabledVersions, [1])
    assert.equal(revoked.key.status, 'disabled')
    await assert.rejects(readThroughServer('dev'), { code: 'ENVIRONMENT_LOCKED' })
    assert.equal(errorCode((await get('dev')).stderr), 'ENVIRONMENT_LOCKED')
    const early = await run(['env', 'unlock', 'dev', '--tenant', 'acme'])
    assert.match(early.stderr, /is disabled \(run `strongroom key restore` first\)/)
    // A revoked key stays revoked: rotating it is refused (it would add an enabled version).
    const rotate = await run(['key', 'rotate', 'hsm2', '--tenant', 'acme'])
    assert.equal(errorCode(rotate.stderr), 'INVALID_STATE')
    const restored = await json<{ enabledVersions: number[]; lockedEnvironments: string[] }>([
      'key',
      'restore',
      'hsm2',
      '--tenant',
      'acme',
    ])
    assert.deepEqual(restored, { ...restored, enabledVersions: [1], lockedEnvironments: ['dev'] })
    assert.equal(errorCode((await get('dev')).stderr), 'ENVIRONMENT_LOCKED', 'still locked')
    await json(['env', 'unlock', 'dev', '--tenant', 'acme'])
    const got = await get('dev')
    assert.equal(got.code, 0, got.stderr)
    assert.ok(got.stdout.includes(`${CANARY}-dev`))
    await readThroughServer('dev')
  })

  it('remove-env reverts to the service-managed key', async () => {
    const moved = await json<Moved>([
      'policy',
      'remove-env',
      'cmk2',
      '--tenant',
      'acme',
      '--env',
      'dev',
    ])
    assert.deepEqual(moved.policy.environments, [])
    assert.deepEqual(
      { name: moved.environment.key.name, managedBy: moved.environment.key.managedBy },
      { name: 'service', managedBy: 'service' },
    )
    assert.ok((await get('dev')).stdout.includes(`${CANARY}-dev`))
    const notIn = await run(['policy', 'remove-env', 'cmk2', '--tenant', 'acme', '--env', 'dev'])
    assert.equal(errorCode(notIn.stderr), 'INVALID_STATE')
  })

  it('a disabled key version is caught by the periodic check', async () => {
    await json(['policy', 'add-env', 'eu-policy', '--tenant', 'acme', '--env', 'dev']).catch(
      () => undefined,
    )
    await json(['policy', 'create', 'local-cmk', '--tenant', 'acme', '--key', 'loc'])
    await json(['policy', 'add-env', 'local-cmk', '--tenant', 'acme', '--env', 'dev'])
    const key = await json<TenantKey>(['key', 'show', 'loc', '--tenant', 'acme'])
    await server.control.providers
      .get('local')
      ?.setVersionStatus({ keyId: key.keyId, version: 1 }, 'disabled')
    const stop = startKeyHealthChecks(server.control, { intervalMs: 50, logger: silentLogger })
    try {
      const deadline = Date.now() + 5000
      while ((await findEnvironment(server.control, 'acme', 'dev')).state !== 'locked') {
        assert.ok(Date.now() < deadline, 'locked within the interval')
        await new Promise((r) => setTimeout(r, 25))
      }
    } finally {
      await stop()
    }
    await json(['key', 'restore', 'loc', '--tenant', 'acme'])
    await json(['env', 'unlock', 'dev', '--tenant', 'acme'])
    assert.ok((await get('dev')).stdout.includes(`${CANARY}-dev`))
  })

  it('a health-check run drops the open handle of an environment another process disabled', async () => {
    const server = await openApp(dir.path, { env: { STRONGROOM_PKCS11_PIN: pin } })
    const cli = await openApp(dir.path, { env: { STRONGROOM_PKCS11_PIN: pin } })
    try {
      const dev = await findEnvironment(server.control, 'acme', 'dev')
      await server.records.readProvisionedIds(dev.id)
      assert.notEqual(server.databases.stamp(dev.id), undefined)
      await disableEnvironment(cli.control, { tenant: 'acme', name: 'dev', actor: 'test' })
      await checkKeys(server.control) // no request arrived in the server meanwhile
      assert.equal(server.databases.stamp(dev.id), undefined, 'the DEK left this process')
      await enableEnvironment(cli.control, { tenant: 'acme', name: 'dev', actor: 'test' })
    } finally {
      await cli.close()
      await server.close()
    }
  })

  it('an unreachable provider does not lock (outage is not revocation)', async () => {
    const app = await openApp(dir.path, { env: { STRONGROOM_PKCS11_PIN: pin } })
    try {
      // A warm handle (the DEK in memory) before the outage…
      const dev = await findEnvironment(app.control, 'acme', 'dev')
      await app.records.readProvisionedIds(dev.id)
      assert.notEqual(app.databases.stamp(dev.id), undefined)
      app.control.providers.get('local')?.close()
      const report = await checkKeys(app.control)
      assert.ok(report.some((k) => k.provider === 'local' && k.health === 'unreachable'))
      assert.ok(report.every((k) => k.locked.length === 0))
      assert.equal((await findEnvironment(app.control, 'acme', 'dev')).state, 'active')
      // …is dropped: nothing is served without the key, though nothing is locked either.
      assert.equal(app.databases.stamp(dev.id), undefined)
      await assert.rejects(app.records.readProvisionedIds(dev.id), { code: 'KEY_UNAVAILABLE' })
    } finally {
      await app.close()
    }
  })

  it('imports a PFX through the CLI with the password on stdin; clear errors otherwise', async () => {
    const password = 'pfx pass 9!'
    const good = pfxFile(outside.path, 2048, password)
    const none = await run(['key', 'import', 'up', '--tenant', 'acme', '--pfx', good])
    assert.equal(errorCode(none.stderr), 'USAGE')
    assert.match(none.stderr, /standard input/)
    const wrong = await run(['key', 'import', 'up', '--tenant', 'acme', '--pfx', good], 'nope\n')
    assert.equal(errorCode(wrong.stderr), 'KEY_IMPORT_INVALID')
    assert.match(wrong.stderr, /password is wrong/)
    const weak = pfxFile(outside.path, 1024, password)
    const small = await run(
      ['key', 'import', 'up', '--tenant', 'acme', '--pfx', weak],
      password + '\n',
    )
    assert.equal(errorCode(small.stderr), 'KEY_IMPORT_INVALID')
    assert.match(small.stderr, /2048, 3072 or 4096 bits/)
    const key = await json<TenantKey>(
      ['key', 'import', 'up', '--tenant', 'acme', '--pfx', good],
      password + '\n',
    )
    assert.deepEqual(
      { provider: key.provider, type: key.type, managedBy: key.managedBy },
      { provider: 'byok', type: 'rsa-2048', managedBy: 'customer' },
    )
    await json(['policy', 'create', 'byok', '--tenant', 'acme', '--key', 'up'])
    await json(['policy', 'remove-env', 'local-cmk', '--tenant', 'acme', '--env', 'dev'])
    await json(['policy', 'add-env', 'byok', '--tenant', 'acme', '--env', 'dev'])
    assert.ok((await get('dev')).stdout.includes(`${CANARY}-dev`))
    const keys = await json<TenantKey[]>(['key', 'list', '--tenant', 'acme'])
    assert.deepEqual(
      keys.map((k) => [k.name, k.provider, k.managedBy]),
      [
        ['hsm', 'pkcs11', 'customer'],
        ['hsm2', 'pkcs11', 'customer'],
        ['loc', 'local', 'customer'],
        ['service', 'local', 'service'],
        ['up', 'byok', 'customer'],
      ],
    )
    assert.ok(!JSON.stringify(keys).includes(password))
  })

  it('importing a PFX under an existing uploaded key adds a version and re-wraps onto it', async () => {
    const password = 'second pass 4$'
    const before = await json<TenantKey>(['key', 'show', 'up', '--tenant', 'acme'])
    assert.deepEqual(
      before.versions.map((v) => [v.version, v.environmentNames.join(',')]),
      [[1, 'dev']],
    )
    // Refused, and nothing changes: a wrong password, a key of another size, a non-uploaded key.
    const next = pfxFile(outside.path, 2048, password)
    const wrong = await run(['key', 'import', 'up', '--tenant', 'acme', '--pfx', next], 'x\n')
    assert.equal(errorCode(wrong.stderr), 'KEY_IMPORT_INVALID')
    const bigger = pfxFile(outside.path, 3072, password)
    const size = await run(
      ['key', 'import', 'up', '--tenant', 'acme', '--pfx', bigger],
      password + '\n',
    )
    assert.equal(errorCode(size.stderr), 'KEY_IMPORT_INVALID')
    const hsm = await run(
      ['key', 'import', 'hsm', '--tenant', 'acme', '--pfx', next],
      password + '\n',
    )
    assert.equal(errorCode(hsm.stderr), 'VALIDATION')
    assert.match(hsm.stderr, /only uploaded keys take a new version by import/)
    assert.equal(
      (await json<TenantKey>(['key', 'show', 'up', '--tenant', 'acme'])).currentVersion,
      1,
    )

    const key = await json<TenantKey>(
      ['key', 'import', 'up', '--tenant', 'acme', '--pfx', next],
      password + '\n',
    )
    assert.equal(key.currentVersion, 2)
    assert.deepEqual(
      key.versions.map((v) => [v.version, v.status, v.environmentNames.join(',')]),
      [
        [1, 'enabled', ''],
        [2, 'enabled', 'dev'],
      ],
    )
    assert.ok((await get('dev')).stdout.includes(`${CANARY}-dev`), 'readable after a cold open')
    const history = await listHistory(
      server.control.db,
      (await findEnvironment(server.control, 'acme', 'dev')).tenantId,
    )
    const imported = history.find((h) => h.action === 'key.imported' && h.detail['version'] === 2)
    assert.equal(imported?.detail['keyName'], 'up')
    const rotated = history.find((h) => h.action === 'key.rotated' && h.detail['keyName'] === 'up')
    assert.deepEqual(
      { v: rotated?.detail['version'], n: rotated?.detail['rewrapped'] },
      { v: 2, n: 1 },
    )
    assert.ok(!JSON.stringify(history).includes(password))
  })

  it('the canary scan finds no record value, DEK or PIN in the data directory', async () => {
    await server.databases.closeAll()
    for (const e of ['prod', 'dev']) {
      assert.deepEqual(filesContaining(dir.path, `${CANARY}-${e}`), [])
    }
    assert.deepEqual(filesContaining(dir.path, pin), [])
    const dev = await findEnvironment(server.control, 'acme', 'dev')
    // Whatever its key layout: the DEK and the field key, as the control plane unwraps them.
    const dek = await unwrapDataKey(server.control, dev, 'environment-db')
    const fieldKey = await unwrapDataKey(server.control, dev, 'field')
    if (fieldKey !== undefined) {
      assert.deepEqual(filesContaining(dir.path, fieldKey.expose()), [])
      fieldKey.dispose()
    }
    assert.ok(dek !== undefined)
    assert.deepEqual(filesContaining(dir.path, dek.expose()), [])
    dek.dispose()
  })
})
