import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCkDate } from './describe-key.ts'

describe('parseCkDate (CKA_END_DATE)', () => {
  it('reads YYYYMMDD as the end of that UTC day', () => {
    assert.equal(parseCkDate(Buffer.from('20301231'))?.toISOString(), '2031-01-01T00:00:00.000Z')
  })
  it('unset, zeros, malformed and impossible dates give undefined', () => {
    for (const v of ['', '00000000', '2030-1-1', '20301301', '20300100', 'abcdefgh']) {
      assert.equal(parseCkDate(Buffer.from(v)), undefined, v)
    }
  })
})
