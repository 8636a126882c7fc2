import { KEY_TYPES, type KeyType } from '../../keys/key-provider.ts'
import { AppError } from '../../shared/errors.ts'
import { parseSlug } from '../../shared/names.ts'
import { providerOf, type Actor, type ControlContext } from '../context.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { assertKeyNameFree, registerCustomerKey } from './register-customer-key.ts'
import { describeTenantKey, type TenantKey } from './tenant-keys.ts'

/** Providers that generate keys on request; uploaded (byok) keys are imported instead. */
export const GENERATING_PROVIDERS = ['local', 'pkcs11'] as const

/** The default type per provider: RSA in an HSM (dataverse-spec §2 asks RSA), AES locally. */
const DEFAULT_TYPE: Readonly<Record<string, KeyType>> = { local: 'aes-256', pkcs11: 'rsa-2048' }

export interface CreateTenantKeyInput {
  readonly tenant: string
  readonly name: string
  readonly provider: string
  readonly type?: string | undefined
  readonly actor: Actor
}

/**
 * Creates a customer-managed key in the local vault or a configured PKCS#11 HSM (generated in
 * the token, never extractable) and records it as a tenant key. Encryption policies then point
 * at it.
 * @throws NAME_INVALID, VALIDATION, TENANT_NOT_FOUND, ALREADY_EXISTS, KEY_UNAVAILABLE (provider
 *   not configured or unreachable)
 */
export async function createTenantKey(
  ctx: ControlContext,
  input: CreateTenantKeyInput,
): Promise<TenantKey> {
  const name = parseSlug(input.name, 'key name')
  if (!(GENERATING_PROVIDERS as readonly string[]).includes(input.provider)) {
    throw new AppError(
      'VALIDATION',
      input.provider === 'byok'
        ? "Uploaded keys are imported: use 'strongroom key import <name> --pfx FILE'."
        : `The key provider must be ${GENERATING_PROVIDERS.join(' or ')}.`,
      { details: [{ path: 'provider', message: 'expected local or pkcs11' }] },
    )
  }
  const type = input.type ?? DEFAULT_TYPE[input.provider] ?? 'aes-256'
  if (!(KEY_TYPES as readonly string[]).includes(type)) {
    throw new AppError('VALIDATION', `The key type must be one of ${KEY_TYPES.join(', ')}.`, {
      details: [{ path: 'type', message: 'unknown key type' }],
    })
  }
  const tenant = await findTenant(ctx, input.tenant)
  await assertKeyNameFree(ctx, tenant.id, name)
  const provider = providerOf(ctx, input.provider)
  const key = await provider.createKey({
    label: `tenant:${tenant.id}:${name}`,
    type: type as KeyType,
  })
  await registerCustomerKey(ctx, {
    tenantId: tenant.id,
    name,
    provider,
    key,
    action: 'key.created',
    actor: input.actor,
  })
  return describeTenantKey(ctx, tenant.name, name)
}
