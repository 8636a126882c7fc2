import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fixedClock } from '../shared/clock.ts'
import { AppError } from '../shared/errors.ts'
import { cryptoRandom } from '../shared/random.ts'
import { Secret } from '../shared/secret.ts'
import { checkKeyHealth } from './check-key-health.ts'
import type { KeyProvider } from './key-provider.ts'
import { openLocalVault } from './local-vault/open-local-vault.ts'

describe('checkKeyHealth', () => {
  let dir = ''
  let vault: KeyProvider
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-health-'))
    vault = openLocalVault({
      path: path.join(dir, 'vault.db'),
      key: new Secret(cryptoRandom.bytes(32)),
      random: cryptoRandom,
      clock: fixedClock(new Date('2030-01-01T00:00:00Z')),
    })
  })
  after(() => {
    vault.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('local vault: available → disabled → missing after destroy; unknown is missing', async () => {
    const key = await vault.createKey({ label: 'k', type: 'aes-256' })
    const ref = { keyId: key.keyId, version: 1 }
    assert.equal(await checkKeyHealth(vault, ref), 'available')
    await vault.setVersionStatus(ref, 'disabled')
    assert.equal(await vault.health?.(ref), 'disabled')
    await vault.setVersionStatus(ref, 'destroyed')
    assert.equal(await checkKeyHealth(vault, ref), 'missing')
    assert.equal(await checkKeyHealth(vault, { keyId: cryptoRandom.uuid(), version: 1 }), 'missing')
  })

  it('falls back to describeKey for providers without health, and fails closed', async () => {
    const key = await vault.createKey({ label: 'k2', type: 'aes-256' })
    const plain: KeyProvider = {
      kind: vault.kind,
      createKey: (o) => vault.createKey(o),
      describeKey: (id) => vault.describeKey(id),
      rotateKey: (id) => vault.rotateKey(id),
      setVersionStatus: (ref, s) => vault.setVersionStatus(ref, s),
      wrap: (ref, p, c) => vault.wrap(ref, p, c),
      unwrap: (ref, w, c) => vault.unwrap(ref, w, c),
      close: () => undefined,
    }
    assert.equal(await checkKeyHealth(plain, { keyId: key.keyId, version: 1 }), 'available')
    assert.equal(await checkKeyHealth(plain, { keyId: key.keyId, version: 2 }), 'missing')
    const broken: KeyProvider = {
      ...plain,
      describeKey: () => Promise.reject(new AppError('KEY_UNAVAILABLE', 'down')),
    }
    assert.equal(await checkKeyHealth(broken, { keyId: key.keyId, version: 1 }), 'unreachable')
  })

  it('a closed local vault is unreachable', async () => {
    const other = openLocalVault({
      path: path.join(dir, 'other.db'),
      key: new Secret(cryptoRandom.bytes(32)),
      random: cryptoRandom,
      clock: fixedClock(new Date('2030-01-01T00:00:00Z')),
    })
    other.close()
    assert.equal(
      await checkKeyHealth(other, { keyId: cryptoRandom.uuid(), version: 1 }),
      'unreachable',
    )
  })
})
