import { parseKeyTransferFile, type ByokProvider, type OaepHash } from '../../keys/byok/index.ts'
import type { ProviderKeyInfo } from '../../keys/key-provider.ts'
import type { KeyProvider } from '../../keys/key-provider.ts'
import { AppError } from '../../shared/errors.ts'
import type { TenantId } from '../../shared/ids.ts'
import { parseSlug } from '../../shared/names.ts'
import type { Secret } from '../../shared/secret.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { appendHistory } from '../history.ts'
import { registerCustomerKey } from './register-customer-key.ts'
import { describeTenantKey, rotateTenantKey, type TenantKey } from './tenant-keys.ts'

interface ImportCommon {
  readonly tenant: string
  readonly name: string
  readonly actor: Actor
}

/** A key from a password-protected PKCS#12/PFX file. */
export interface ImportPfxInput extends ImportCommon {
  /** The PKCS#12/PFX file's bytes. */
  readonly pfx: Uint8Array
  /** Read by the caller from stdin or a file, never from argv. The caller disposes it. */
  readonly password: Secret
  readonly wrapped?: never
}

/** A key wrapped by the customer's HSM for the tenant's key-exchange key. */
export interface ImportWrappedInput extends ImportCommon {
  readonly wrapped: {
    /** The key transfer file (JSON envelope) or, with `kekId`, the bare blob. */
    readonly file: Uint8Array
    /** For a bare blob: the key-exchange key it was wrapped for. */
    readonly kekId?: string | undefined
    /** For a bare blob: the OAEP hash (default sha-256). */
    readonly oaepHash?: OaepHash | undefined
  }
  readonly pfx?: never
  readonly password?: never
}

export type ImportTenantKeyInput = ImportPfxInput | ImportWrappedInput

export const isByok = (p: KeyProvider): p is ByokProvider =>
  p.kind === 'byok' && typeof (p as Partial<ByokProvider>).importWrappedKey === 'function'

/** The scope of a tenant's key-exchange key in the uploaded-key store. */
export const exchangeKeyScope = (tenantId: TenantId): string => `tenant:${tenantId}`

/** Imports the input's key into the store: a new key, or the next version of `keyId`. */
function importInto(
  byok: ByokProvider,
  input: ImportTenantKeyInput,
  tenantId: TenantId,
  target: { label: string } | { keyId: string },
): Promise<ProviderKeyInfo> {
  if (input.wrapped === undefined) {
    return byok.importPfx({ pfx: input.pfx, password: input.password, ...target })
  }
  const { file, kekId, oaepHash } = input.wrapped
  const transfer = parseKeyTransferFile(file, kekId === undefined ? undefined : { kekId, oaepHash })
  return byok.importWrappedKey({
    wrapped: transfer.wrapped,
    kekId: transfer.kekId,
    oaepHash: transfer.oaepHash,
    scope: exchangeKeyScope(tenantId),
    ...target,
  })
}

/**
 * Imports a customer's RSA key into the uploaded-key (BYOK) store, from a password-protected
 * PFX (validated: size, one RSA 2048/3072/4096 key, matching unexpired certificate) or from a
 * blob the customer's HSM wrapped for the tenant's key-exchange key (validated: size, the
 * tenant's unexpired KEK, it unwraps, one consistent RSA 2048/3072/4096 key), and records it
 * as a customer-managed tenant key. When the tenant already has an uploaded key of that name, the
 * key becomes its next version instead (same size required) and every DEK is re-wrapped under it:
 * importing again is how an uploaded key rotates (legacy BYOK "activate", dataverse-spec §2).
 * @throws NAME_INVALID, TENANT_NOT_FOUND, KEY_IMPORT_INVALID, VALIDATION (the name belongs to a
 *   key in another provider), INVALID_STATE (the key is revoked)
 */
export async function importTenantKey(
  ctx: ControlContext,
  input: ImportTenantKeyInput,
): Promise<TenantKey> {
  const name = parseSlug(input.name, 'key name')
  const tenant = await findTenant(ctx, input.tenant)
  const provider = providerOf(ctx, 'byok')
  if (!isByok(provider)) {
    throw new AppError('KEY_OPERATION_UNSUPPORTED', 'The uploaded-key store is not available.')
  }
  const existing = await ctx.db
    .selectFrom('tenant_keys')
    .select(['provider'])
    .where('tenant_id', '=', tenant.id)
    .where('name', '=', name)
    .executeTakeFirst()
  if (existing !== undefined) {
    return importKeyVersion(
      ctx,
      { ...input, name, tenantId: tenant.id },
      existing.provider,
      provider,
    )
  }
  const key = await importInto(provider, input, tenant.id, {
    label: `tenant:${tenant.id}:${name}`,
  })
  await registerCustomerKey(ctx, {
    tenantId: tenant.id,
    name,
    provider,
    key,
    action: 'key.imported',
    actor: input.actor,
  })
  return describeTenantKey(ctx, tenant.name, name)
}

/** A new version of an uploaded key from a PFX, then the re-wrap of a rotation. */
async function importKeyVersion(
  ctx: ControlContext,
  input: ImportTenantKeyInput & { tenantId: TenantId },
  providerKind: string,
  byok: ByokProvider,
): Promise<TenantKey> {
  if (providerKind !== byok.kind) {
    throw new AppError(
      'VALIDATION',
      `Key '${input.name}' is held by the ${providerKind} provider; only uploaded keys take a new version by import (use 'strongroom key rotate').`,
      { details: [{ path: 'name', message: 'not an uploaded key' }] },
    )
  }
  const { key } = await rotateTenantKey(ctx, input, async (_provider, keyId) => {
    const info = await importInto(byok, input, input.tenantId, { keyId })
    await appendHistory(ctx.db, {
      tenantId: input.tenantId,
      at: isoNow(ctx),
      actor: input.actor,
      action: 'key.imported',
      detail: {
        keyName: input.name,
        provider: byok.kind,
        keyId,
        type: info.type,
        version: info.currentVersion,
        source: input.wrapped === undefined ? 'pfx' : 'wrapped',
      },
    })
    return info
  })
  return key
}
