import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { z } from 'zod'
import { open, seal } from '../../crypto/aead.ts'
import { encodeContext } from '../../crypto/encode-context.ts'
import { AppError } from '../../shared/errors.ts'
import { guarded, vaultCorrupt } from '../local-vault/vault-errors.ts'
import type { ByokContext } from './byok-context.ts'

/** The key-exchange key's type: RSA-3072 (NIST SP 800-57 Pt 1 Table 2: 128-bit strength). */
export const EXCHANGE_KEY_TYPE = 'rsa-3072'
const EXCHANGE_KEY_BITS = 3072
/** How long a key-exchange key accepts blobs. */
export const EXCHANGE_KEY_DAYS = 30
// A key-exchange key with less than this left is not handed out again: the customer gets a
// fresh one, so the blob they are about to make still has time to arrive.
const REISSUE_BEFORE_MS = 24 * 3600 * 1000
const DAY_MS = 24 * 3600 * 1000
// Expired private halves are erased this long after expiry (import of them is refused from
// expiry on; the row stays a while so the refusal can say "expired" rather than "unknown").
const ERASE_AFTER_MS = 30 * DAY_MS

/** A key-exchange key's public half, as the customer's HSM needs it. */
export interface ExchangeKeyInfo {
  /** Names the KEK; a blob's header carries it (`kid`). */
  readonly kekId: string
  readonly type: typeof EXCHANGE_KEY_TYPE
  /** SubjectPublicKeyInfo, PEM. */
  readonly publicKeyPem: string
  readonly createdAt: Date
  /** Blobs wrapped for it are refused from then on. */
  readonly expiresAt: Date
  /** True when this call generated it. */
  readonly created: boolean
}

/** What a blob needs to be unwrapped: the KEK's private half, opened. */
export interface OpenedExchangeKey {
  readonly kekId: string
  readonly privateKey: KeyObject
  readonly expiresAt: Date
}

const Scope = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')

const Row = z.strictObject({
  kek_id: z.string().max(64),
  material: z.instanceof(Uint8Array),
  public_key: z.instanceof(Uint8Array),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
})

function parseRow(row: unknown): z.infer<typeof Row> {
  const r = Row.safeParse(row)
  if (!r.success) throw vaultCorrupt(r.error)
  return r.data
}

function parseScope(scope: string): string {
  const r = Scope.safeParse(scope)
  if (!r.success) throw new TypeError('exchange key scope: printable ASCII, 1..128 characters')
  return r.data
}

// Binds a sealed KEK to its id and scope: copied onto another row, it fails to open.
const materialAad = (kekId: string, scope: string): Uint8Array =>
  encodeContext('strongroom/byok/exchange-key/v1', [kekId, scope])

const info = (row: z.infer<typeof Row>, created = false): ExchangeKeyInfo => ({
  kekId: row.kek_id,
  type: EXCHANGE_KEY_TYPE,
  publicKeyPem: createPublicKey({ key: Buffer.from(row.public_key), format: 'der', type: 'spki' })
    .export({ format: 'pem', type: 'spki' })
    .toString(),
  createdAt: new Date(row.created_at),
  expiresAt: new Date(row.expires_at),
  created,
})

const generate = promisify(generateKeyPair)

/**
 * The key-exchange key (KEK) of `scope` (one per tenant: the control plane passes
 * `tenant:<id>`), for the customer's HSM to wrap a key to import (CKM_RSA_AES_KEY_WRAP, see
 * importWrappedKey). The newest one with at least a day left is returned; otherwise a new
 * RSA-3072 pair is generated, valid EXCHANGE_KEY_DAYS days, its private half sealed like an
 * uploaded key. Private halves expired for 30 days are erased.
 */
export async function exchangeKey(ctx: () => ByokContext, scope: string): Promise<ExchangeKeyInfo> {
  const s = parseScope(scope)
  const current = guarded(() => newest(ctx(), s))
  if (
    current !== undefined &&
    current.expiresAt.getTime() - ctx().clock.now().getTime() > REISSUE_BEFORE_MS
  ) {
    return current
  }
  const pair = await generate('rsa', { modulusLength: EXCHANGE_KEY_BITS })
  const c = ctx()
  const now = c.clock.now()
  const kekId = c.random.uuid()
  const der = new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' }))
  try {
    const sealed = seal(c.materialKey, der, materialAad(kekId, s), c.random)
    const spki = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }))
    guarded(() => {
      c.db
        .transaction(() => {
          c.db
            .prepare(
              `INSERT INTO byok_exchange_keys (kek_id, scope, type, material, public_key, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              kekId,
              s,
              EXCHANGE_KEY_TYPE,
              sealed,
              spki,
              now.toISOString(),
              new Date(now.getTime() + EXCHANGE_KEY_DAYS * DAY_MS).toISOString(),
            )
          c.db
            .prepare('DELETE FROM byok_exchange_keys WHERE expires_at < ?')
            .run(new Date(now.getTime() - ERASE_AFTER_MS).toISOString())
        })
        .immediate()
    })
  } finally {
    der.fill(0)
  }
  const made = guarded(() => newest(c, s, true))
  if (made === undefined) throw vaultCorrupt()
  return made
}

function newest(ctx: ByokContext, scope: string, created = false): ExchangeKeyInfo | undefined {
  const row: unknown = ctx.db
    .prepare(
      `SELECT kek_id, material, public_key, created_at, expires_at FROM byok_exchange_keys
       WHERE scope = ? ORDER BY expires_at DESC, kek_id LIMIT 1`,
    )
    .get(scope)
  return row === undefined ? undefined : info(parseRow(row), created)
}

/** KEY_IMPORT_INVALID naming the rule, as for a PFX. */
export const wrappedInvalid = (rule: string, cause?: unknown): AppError =>
  new AppError('KEY_IMPORT_INVALID', `The wrapped key was refused: ${rule}.`, { cause })

/**
 * Opens the private half of `kekId`, which must belong to `scope` and not have expired.
 * @throws AppError KEY_IMPORT_INVALID (unknown to this scope, expired), VAULT_CORRUPT
 */
export function openExchangeKey(ctx: ByokContext, scope: string, kekId: string): OpenedExchangeKey {
  const s = parseScope(scope)
  const row: unknown = guarded(() =>
    ctx.db
      .prepare(
        `SELECT kek_id, material, public_key, created_at, expires_at FROM byok_exchange_keys
         WHERE kek_id = ? AND scope = ?`,
      )
      .get(kekId, s),
  )
  if (row === undefined) {
    throw wrappedInvalid(
      "it names a key-exchange key this tenant doesn't have (get the current one with 'strongroom key exchange-key')",
    )
  }
  const r = parseRow(row)
  const expiresAt = new Date(r.expires_at)
  if (ctx.clock.now() >= expiresAt) {
    throw wrappedInvalid(
      "its key-exchange key has expired (get a new one with 'strongroom key exchange-key' and wrap the key again)",
    )
  }
  let der: Uint8Array
  try {
    der = open(ctx.materialKey, r.material, materialAad(r.kek_id, s))
  } catch (e) {
    throw vaultCorrupt(e)
  }
  try {
    const privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    return { kekId: r.kek_id, privateKey, expiresAt }
  } catch (e) {
    throw vaultCorrupt(e)
  } finally {
    der.fill(0)
  }
}
