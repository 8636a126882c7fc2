import pkcs11js from 'pkcs11js'
import { z } from 'zod'
import { KEY_TYPES } from '../key-provider.ts'
import type { KeyType } from '../key-provider.ts'
import { attribute, findObjects, RECORD_APPLICATION, recordLabel } from './key-objects.ts'
import { keyUnavailable } from './pkcs11-errors.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'

/**
 * What Strongroom records about one key version, in a CKO_DATA object beside the key objects
 * (PKCS#11 v2.40 §4.5). Destroying a version leaves its record: it holds no key material, and it
 * is how a version whose key objects have gone is reported as `destroyed` rather than forgotten.
 */
export interface VersionRecord {
  readonly keyId: string
  readonly version: number
  readonly label: string
  readonly type: KeyType
  readonly createdAt: string
}

// Values read back from the token are parsed like any other input (STYLE §6).
const Record = z.strictObject({
  keyId: z.string().max(64),
  version: z.number().int().positive(),
  label: z.string().max(256),
  type: z.enum(KEY_TYPES),
  createdAt: z.iso.datetime(),
})

/** Writes a version record as a private, unmodifiable token object. */
export function writeVersionRecord(h: Pkcs11Handle, record: VersionRecord): void {
  h.p11.C_CreateObject(h.session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_MODIFIABLE, value: false },
    { type: pkcs11js.CKA_APPLICATION, value: RECORD_APPLICATION },
    { type: pkcs11js.CKA_LABEL, value: recordLabel(record.keyId) },
    { type: pkcs11js.CKA_VALUE, value: Buffer.from(JSON.stringify(record), 'utf8') },
  ])
}

/**
 * Every version record of a key, oldest first (empty when the key is unknown).
 *
 * @throws AppError KEY_UNAVAILABLE when a record is malformed or two claim one version.
 */
export function readVersionRecords(h: Pkcs11Handle, keyId: string): VersionRecord[] {
  const objects = findObjects(h, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
    { type: pkcs11js.CKA_APPLICATION, value: RECORD_APPLICATION },
    { type: pkcs11js.CKA_LABEL, value: recordLabel(keyId) },
  ])
  const records = objects.map((object) => {
    let json: unknown
    try {
      json = JSON.parse(attribute(h, object, pkcs11js.CKA_VALUE).toString('utf8'))
    } catch (e) {
      throw keyUnavailable('malformed version record', e)
    }
    const parsed = Record.safeParse(json)
    if (!parsed.success || parsed.data.keyId !== keyId) {
      throw keyUnavailable('malformed version record')
    }
    return parsed.data
  })
  records.sort((a, b) => a.version - b.version)
  for (let i = 1; i < records.length; i++) {
    if (records[i]?.version === records[i - 1]?.version) {
      throw keyUnavailable('two version records claim one version')
    }
  }
  return records
}
