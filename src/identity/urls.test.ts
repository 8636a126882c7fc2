import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { environmentNameOf, environmentUrl, issuerUrl, oidcMountPath } from './urls.ts'

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
})
