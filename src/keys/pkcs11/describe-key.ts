import { AppError } from '../../shared/errors.ts'
import { isGuid } from '../../shared/ids.ts'
import type { KeyVersionInfo, ProviderKeyInfo } from '../key-provider.ts'
import pkcs11js from 'pkcs11js'
import { attribute, findVersion } from './key-objects.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { readVersionRecords } from './version-records.ts'

export function keyNotFound(): AppError {
  // The key id is left out of the message: ids go in logs, not in client-facing text (STYLE §5.5).
  return new AppError('KEY_NOT_FOUND', 'No such key or key version.')
}

/**
 * A key's versions as the token has them: from its version records, each version `enabled` or
 * `disabled` from CKA_DECRYPT of its key object, or `destroyed` when the object is gone — which
 * is how deletion by an HSM administrator shows.
 *
 * @throws AppError KEY_NOT_FOUND when the token has no version record of the key.
 */
export function describeKeyIn(h: Pkcs11Handle, keyId: string): ProviderKeyInfo {
  if (!isGuid(keyId)) throw keyNotFound()
  const records = readVersionRecords(h, keyId)
  const last = records.at(-1)
  if (last === undefined) throw keyNotFound()
  const versions: KeyVersionInfo[] = records.map((r) => {
    const found = findVersion(h, { keyId, version: r.version })
    const expiresAt = found === undefined ? undefined : endDate(h, found.key)
    return {
      version: r.version,
      status: found === undefined ? 'destroyed' : found.isEnabled ? 'enabled' : 'disabled',
      createdAt: new Date(r.createdAt),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    }
  })
  return { keyId, label: last.label, type: last.type, currentVersion: last.version, versions }
}

/**
 * CKA_END_DATE of a key object, as parseCkDate reads it. Undefined when unset or unreadable:
 * the end date only feeds warnings, it never locks anything. (SoftHSM 2.6.1 answers
 * C_GetAttributeValue for it with CKR_GENERAL_ERROR through pkcs11js, even when set.)
 */
function endDate(h: Pkcs11Handle, key: Buffer): Date | undefined {
  try {
    return parseCkDate(attribute(h, key, pkcs11js.CKA_END_DATE))
  } catch {
    return undefined
  }
}

/**
 * A CK_DATE (PKCS#11 v2.40 §3.3: 'YYYYMMDD' in ASCII; empty or zeros when not set) as the end
 * of that UTC day, or undefined when unset or malformed.
 */
export function parseCkDate(value: Uint8Array): Date | undefined {
  const text = Buffer.from(value).toString('latin1')
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text)
  if (m === null || text === '00000000') return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined
  return new Date(Date.UTC(y, mo - 1, d + 1))
}
