import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.ts'
import { parseImpersonation, withoutImpersonation } from './impersonation.ts'

const ID = '6f8b1c2e-1d2c-4b1a-9c3e-0a1b2c3d4e5f'
const code = (headers: Record<string, unknown>): string | undefined => {
  try {
    parseImpersonation(headers)
    return undefined
  } catch (e) {
    if (e instanceof AppError) return e.code
    throw e
  }
}

describe('parseImpersonation (CallerObjectId, MSCRMCallerID)', () => {
  it('no header: no impersonation', () => {
    assert.equal(parseImpersonation({ authorization: 'Bearer x' }), undefined)
  })

  it('CallerObjectId names an Entra object id, MSCRMCallerID a systemuserid', () => {
    assert.deepEqual(parseImpersonation({ callerobjectid: ID }), {
      by: 'azureactivedirectoryobjectid',
      id: ID,
    })
    assert.deepEqual(parseImpersonation({ mscrmcallerid: ID }), { by: 'systemuserid', id: ID })
  })

  it('braces, upper case and surrounding spaces are accepted; the id is lower-cased', () => {
    assert.deepEqual(parseImpersonation({ mscrmcallerid: ` {${ID.toUpperCase()}} ` }), {
      by: 'systemuserid',
      id: ID,
    })
  })

  it('anything but one GUID is refused, without echoing it', () => {
    for (const value of [
      '',
      'not-a-guid',
      `${ID}x`,
      `${ID}, ${ID}`,
      ID.slice(0, 35),
      'a'.repeat(100_000),
      `{${ID}`.replace('{', '{{'),
      ['x'],
      42,
    ]) {
      assert.equal(code({ callerobjectid: value }), 'IMPERSONATION_HEADER_INVALID', String(value))
      try {
        parseImpersonation({ mscrmcallerid: value })
      } catch (e) {
        assert.ok(e instanceof AppError)
        assert.equal(e.code, 'IMPERSONATION_HEADER_INVALID')
        assert.match(e.message, /MSCRMCallerID header must be one user id/)
        if (typeof value === 'string' && value.length > 0) {
          assert.ok(!e.message.includes(value))
        }
      }
    }
  })

  it('both headers at once are refused, even naming the same user', () => {
    assert.equal(code({ callerobjectid: ID, mscrmcallerid: ID }), 'IMPERSONATION_HEADER_INVALID')
  })

  it('withoutImpersonation drops both headers and keeps the rest', () => {
    assert.deepEqual(
      withoutImpersonation({ callerobjectid: ID, mscrmcallerid: ID, 'odata-version': '4.0' }),
      { 'odata-version': '4.0' },
    )
  })
})
