import { AppError } from '../../shared/errors.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import { lockKeyEnvironments } from './lock-key-environments.ts'
import { recordRevokedVersions } from './revoked-versions.ts'
import { describeTenantKey, findTenantKeyRow, type TenantKey } from './tenant-keys.ts'

/**
 * Revokes a customer-managed key (dataverse-spec §2 "Revocation"): every environment under it
 * is locked at once (its DEK dropped from memory, handle closed), then every enabled version
 * is disabled in its provider, so the provider itself refuses to unwrap. Locking comes first:
 * if the provider call fails, the environments are already closed (fail closed) and the revoke
 * can be repeated. The versions it disables are recorded on the key, so `key restore`
 * re-enables exactly those (not versions retired before); environments stay locked until
 * `env unlock`.
 * @throws TENANT_NOT_FOUND, KEY_NOT_FOUND, VALIDATION (service-managed key), KEY_UNAVAILABLE
 */
export async function revokeTenantKey(
  ctx: ControlContext,
  input: { tenant: string; name: string; actor: Actor },
): Promise<{ key: TenantKey; lockedEnvironments: string[]; disabledVersions: number[] }> {
  const row = await findTenantKeyRow(ctx, input.tenant, input.name)
  if (row.managed_by !== 'customer') {
    throw new AppError(
      'VALIDATION',
      `Key '${row.name}' is service-managed; only customer-managed keys are revoked.`,
      { details: [{ path: 'name', message: 'not a customer-managed key' }] },
    )
  }
  const locked = await lockKeyEnvironments(ctx, {
    keyRowId: row.id,
    actor: input.actor,
    detail: { reason: 'key revoked' },
  })
  const provider = providerOf(ctx, row.provider)
  const info = await provider.describeKey(row.provider_key_id)
  const enabled = info.versions.filter((v) => v.status === 'enabled').map((v) => v.version)
  // Recorded before the provider is touched, so that `key restore` re-enables exactly these even
  // if a disable below fails halfway; a repeated revoke adds to the record.
  await recordRevokedVersions(ctx, row, enabled)
  const disabled: number[] = []
  for (const version of enabled) {
    await provider.setVersionStatus({ keyId: row.provider_key_id, version }, 'disabled')
    disabled.push(version)
  }
  // Again after disabling: an add-env or unlock that unwrapped before the disable and committed
  // after the first pass would otherwise leave an environment active on a revoked key.
  const lateLocked = await lockKeyEnvironments(ctx, {
    keyRowId: row.id,
    actor: input.actor,
    detail: { reason: 'key revoked' },
  })
  locked.push(...lateLocked.filter((id) => !locked.includes(id)))
  await appendHistory(ctx.db, {
    tenantId: row.tenant_id,
    at: isoNow(ctx),
    actor: input.actor,
    action: 'key.revoked',
    detail: {
      keyName: row.name,
      version: info.currentVersion,
      disabledVersions: disabled.join(','),
      lockedEnvironments: locked.length,
    },
  })
  ctx.logger.log('warn', 'key.revoked', { tenantId: row.tenant_id, locked: locked.length })
  return {
    key: await describeTenantKey(ctx, input.tenant, input.name),
    lockedEnvironments: locked,
    disabledVersions: disabled,
  }
}
