import { AppError } from '../../shared/errors.ts'
import { isGuid } from '../../shared/ids.ts'
import type { KeyVersionInfo, ProviderKeyInfo } from '../key-provider.ts'
import { findVersion } from './key-objects.ts'
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
    return {
      version: r.version,
      status: found === undefined ? 'destroyed' : found.isEnabled ? 'enabled' : 'disabled',
      createdAt: new Date(r.createdAt),
    }
  })
  return { keyId, label: last.label, type: last.type, currentVersion: last.version, versions }
}
