import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  environmentNameOf,
  environmentOfHost,
  environmentUrl,
  issuerUrl,
  oidcMountPath,
} from './urls.ts'

describe('identity URLs', () => {
  const base = 'https://data.example.com'
  it('lay out issuer, mount path and environment URL', () => {
    assert.equal(oidcMountPath('acme'), '/acme/oauth2')
    assert.equal(issuerUrl(`${base}/`, 'acme'), `${base}/acme/oauth2`)
    assert.equal(environmentUrl(base, 'acme', 'prod'), `${base}/acme/prod/`)
  })

  it('parse only exact environment URLs of the tenant', () => {
    assert.equal(environmentNameOf(base, 'acme', `${base}/acme/prod/`), 'prod')
    for (const url of [
      `${base}/acme/prod`,
      `${base}/acme/prod/x/`,
      `${base}/acme/prod/?a=1`,
      `${base}/globex/prod/`,
      `${base}/acme//`,
      `${base}/acme/Prod/`,
      `https://evil.example/acme/prod/`,
    ]) {
      assert.equal(environmentNameOf(base, 'acme', url), undefined, url)
    }
  })

  it('host routing: <env>.<tenant>.<host>, port kept, nothing else accepted', () => {
    const withPort = 'https://localhost:8443'
    assert.equal(
      environmentUrl(base, 'acme', 'prod', 'host'),
      'https://prod.acme.data.example.com/',
    )
    assert.equal(
      environmentUrl(withPort, 'acme', 'prod', 'host'),
      'https://prod.acme.localhost:8443/',
    )
    assert.equal(
      environmentNameOf(withPort, 'acme', 'https://prod.acme.localhost:8443/', 'host'),
      'prod',
    )
    for (const url of [
      'https://prod.acme.localhost:8443',
      'https://prod.acme.localhost:8443/x/',
      'https://prod.acme.localhost/',
      'https://prod.globex.localhost:8443/',
      'https://x.prod.acme.localhost:8443/',
      'http://prod.acme.localhost:8443/',
      'https://localhost:8443/acme/prod/',
    ]) {
      assert.equal(environmentNameOf(withPort, 'acme', url, 'host'), undefined, url)
    }
    assert.deepEqual(environmentOfHost(withPort, 'Prod.ACME.localhost:8443'), {
      tenant: 'acme',
      environment: 'prod',
    })
    for (const host of [
      'localhost:8443',
      'acme.localhost:8443',
      'x.prod.acme.localhost:8443',
      'prod.acme.localhost',
      'prod.acme.localhost:9999',
      '-x.acme.localhost:8443',
      'prod.acme.evil.example',
      '',
    ]) {
      assert.equal(environmentOfHost(withPort, host), undefined, host)
    }
  })
})
