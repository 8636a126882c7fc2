import type { ByokProvider } from '../../keys/byok/index.ts'
import type { KeyProvider } from '../../keys/key-provider.ts'
import { AppError } from '../../shared/errors.ts'
import { parseSlug } from '../../shared/names.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type Actor, type ControlContext } from '../context.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { assertKeyNameFree, registerCustomerKey } from './register-customer-key.ts'
import { describeTenantKey, type TenantKey } from './tenant-keys.ts'

export interface ImportTenantKeyInput {
  readonly tenant: string
  readonly name: string
  /** The PKCS#12/PFX file's bytes. */
  readonly pfx: Uint8Array
  /** Read by the caller from stdin or a file, never from argv. The caller disposes it. */
  readonly password: Secret
  readonly actor: Actor
}

const isByok = (p: KeyProvider): p is ByokProvider =>
  p.kind === 'byok' && typeof (p as Partial<ByokProvider>).importPfx === 'function'

/**
 * Imports a customer's RSA key from a password-protected PFX into the uploaded-key (BYOK) store
 * (validated: size, one RSA 2048/3072/4096 key, matching unexpired certificate) and records it
 * as a customer-managed tenant key.
 * @throws NAME_INVALID, TENANT_NOT_FOUND, ALREADY_EXISTS, KEY_IMPORT_INVALID
 */
export async function importTenantKey(
  ctx: ControlContext,
  input: ImportTenantKeyInput,
): Promise<TenantKey> {
  const name = parseSlug(input.name, 'key name')
  const tenant = await findTenant(ctx, input.tenant)
  await assertKeyNameFree(ctx, tenant.id, name)
  const provider = providerOf(ctx, 'byok')
  if (!isByok(provider)) {
    throw new AppError('KEY_OPERATION_UNSUPPORTED', 'The uploaded-key store is not available.')
  }
  const key = await provider.importPfx({
    pfx: input.pfx,
    password: input.password,
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
