import type { ExchangeKeyInfo } from '../../keys/byok/index.ts'
import { AppError } from '../../shared/errors.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { exchangeKeyScope, isByok } from './import-tenant-key.ts'

/** The tenant's key-exchange key, as `key exchange-key` shows it. */
export interface TenantExchangeKey {
  readonly tenant: string
  readonly kekId: string
  readonly type: ExchangeKeyInfo['type']
  readonly publicKeyPem: string
  readonly createdAt: string
  readonly expiresAt: string
  /** How a blob must be made for it. */
  readonly mechanism: 'CKM_RSA_AES_KEY_WRAP'
}

/**
 * The tenant's key-exchange key (KEK) for importing an HSM-wrapped key (`key import --wrapped`):
 * its public key (PEM), id and expiry. Created on first use and renewed when less than a day is
 * left; a new one is recorded in the tenant history (`key.exchange-key-created`). Its private
 * half stays sealed in the uploaded-key store.
 * @throws TENANT_NOT_FOUND, KEY_OPERATION_UNSUPPORTED (no uploaded-key store)
 */
export async function tenantExchangeKey(
  ctx: ControlContext,
  input: { readonly tenant: string; readonly actor: Actor },
): Promise<TenantExchangeKey> {
  const tenant = await findTenant(ctx, input.tenant)
  const provider = providerOf(ctx, 'byok')
  if (!isByok(provider)) {
    throw new AppError('KEY_OPERATION_UNSUPPORTED', 'The uploaded-key store is not available.')
  }
  const kek = await provider.exchangeKey(exchangeKeyScope(tenant.id))
  if (kek.created) {
    await appendHistory(ctx.db, {
      tenantId: tenant.id,
      at: isoNow(ctx),
      actor: input.actor,
      action: 'key.exchange-key-created',
      detail: { kekId: kek.kekId, type: kek.type, expiresAt: kek.expiresAt.toISOString() },
    })
  }
  return {
    tenant: tenant.name,
    kekId: kek.kekId,
    type: kek.type,
    publicKeyPem: kek.publicKeyPem,
    createdAt: kek.createdAt.toISOString(),
    expiresAt: kek.expiresAt.toISOString(),
    mechanism: 'CKM_RSA_AES_KEY_WRAP',
  }
}
