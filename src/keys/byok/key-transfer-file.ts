import { z } from 'zod'
import { isGuid } from '../../shared/ids.ts'
import { wrappedInvalid } from './exchange-key.ts'
import { MAX_WRAPPED_BYTES, type OaepHash } from './unwrap-key-transfer.ts'

/** The largest key transfer file accepted (JSON with a base64url blob of at most 16 KiB). */
export const MAX_TRANSFER_FILE_BYTES = 64 * 1024

/** A key transfer file's content: the blob and the key-exchange key it was wrapped for. */
export interface KeyTransfer {
  readonly kekId: string
  readonly oaepHash: OaepHash
  readonly wrapped: Uint8Array
}

// The JSON envelope, in the manner of Azure Key Vault's BYOK transfer file: a header naming
// the key-exchange key (`kid`) and the mechanism, the blob in base64url.
const TransferFile = z.strictObject({
  schema_version: z.literal('1.0.0'),
  header: z.strictObject({
    kid: z.string().max(64),
    alg: z.literal('dir'),
    enc: z.literal('CKM_RSA_AES_KEY_WRAP'),
    oaep_hash: z.enum(['sha-256', 'sha-1']).optional(),
  }),
  ciphertext: z
    .string()
    .max(Math.ceil((MAX_WRAPPED_BYTES * 4) / 3) + 4)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/),
  generator: z.string().max(256).optional(),
})

/**
 * Reads a key transfer file: the JSON envelope (`{"schema_version":"1.0.0","header":{"kid":
 * "<kekId>","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"<base64url>"}`), or, when
 * `raw` names the key-exchange key, the bare blob as the HSM wrote it.
 *
 * @throws AppError KEY_IMPORT_INVALID
 */
export function parseKeyTransferFile(
  file: Uint8Array,
  raw?: { readonly kekId: string; readonly oaepHash?: OaepHash | undefined },
): KeyTransfer {
  if (file.length === 0) throw wrappedInvalid('the file is empty')
  if (file.length > MAX_TRANSFER_FILE_BYTES) {
    throw wrappedInvalid(`the file is larger than ${String(MAX_TRANSFER_FILE_BYTES / 1024)} KiB`)
  }
  if (raw !== undefined) {
    if (!isGuid(raw.kekId)) throw wrappedInvalid('the key-exchange key id is not a GUID')
    return { kekId: raw.kekId.toLowerCase(), oaepHash: raw.oaepHash ?? 'sha-256', wrapped: file }
  }
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file))
  } catch (e) {
    throw wrappedInvalid(
      'the file is not a key transfer file (JSON); for a bare blob, name its key-exchange key with --kek-id',
      e,
    )
  }
  const parsed = TransferFile.safeParse(json)
  if (!parsed.success) {
    throw wrappedInvalid(
      `the key transfer file is malformed (${parsed.error.issues.map((i) => i.path.join('.') || 'file').join(', ')})`,
    )
  }
  const { header, ciphertext } = parsed.data
  if (!isGuid(header.kid)) throw wrappedInvalid("the header's kid is not a key-exchange key id")
  return {
    kekId: header.kid.toLowerCase(),
    oaepHash: header.oaep_hash ?? 'sha-256',
    wrapped: new Uint8Array(Buffer.from(ciphertext, 'base64url')),
  }
}
