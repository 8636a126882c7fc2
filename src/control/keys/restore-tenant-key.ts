import { AppError } from '../../shared/errors.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { appendHistory } from '../history.ts'
import { parseRevokedVersions } from './revoked-versions.ts'
import { describeTenantKey, findTenantKeyRow, type TenantKey } from './tenant-keys.ts'

/**
 * Gives access back after `key revoke`: re-enables exactly the versions the revoke disabled
 * (versions retired with `key retire` before it stay disabled). A key disabled in its provider
 * without `key revoke` gets back the versions it needs: the current one and any that wraps an
 * environment's DEK. Environments stay locked until `env unlock`, which checks the unwrap again
 * (dataverse-spec §2 "Unlock"). A destroyed version can't come back: its environments can only
 * be unlocked if the key object is restored in the provider (an HSM backup).
 * @throws TENANT_NOT_FOUND, KEY_NOT_FOUND, VALIDATION, KEY_UNAVAILABLE
 */
export async function restoreTenantKey(
  ctx: ControlContext,
  input: { tenant: string; name: string; actor: Actor },
): Promise<{
  key: TenantKey
  enabledVersions: number[]
  destroyedVersions: number[]
  lockedEnvironments: string[]
}> {
  const row = await findTenantKeyRow(ctx, input.tenant, input.name)
  if (row.managed_by !== 'customer') {
    throw new AppError(
      'VALIDATION',
      `Key '${row.name}' is service-managed; only customer-managed keys are restored.`,
      { details: [{ path: 'name', message: 'not a customer-managed key' }] },
    )
  }
  const provider = providerOf(ctx, row.provider)
  const info = await provider.describeKey(row.provider_key_id)
  const envs = await ctx.db
    .selectFrom('environments')
    .select(['name', 'key_version', 'state'])
    .where('key_id', '=', row.id)
    .where('state', '<>', 'purged')
    .orderBy('name')
    .execute()
  // After `key revoke`: exactly the versions it disabled. Without a revocation record (a version
  // disabled in the provider itself, or revoked before the record existed): the versions the
  // key needs, its current one and those that wrap a DEK.
  const revoked = parseRevokedVersions(row.revoked_versions)
  const wanted = new Set(revoked ?? [info.currentVersion, ...envs.map((e) => e.key_version)])
  const enabled: number[] = []
  const destroyed: number[] = []
  for (const v of info.versions) {
    if (!wanted.has(v.version)) continue
    if (v.status === 'destroyed') destroyed.push(v.version)
    if (v.status !== 'disabled') continue
    await provider.setVersionStatus({ keyId: row.provider_key_id, version: v.version }, 'enabled')
    enabled.push(v.version)
  }
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('tenant_keys')
      .set({ revoked_versions: null })
      .where('id', '=', row.id)
      .execute()
    await appendHistory(trx, {
      tenantId: row.tenant_id,
      at: isoNow(ctx),
      actor: input.actor,
      action: 'key.restored',
      detail: {
        keyName: row.name,
        version: info.currentVersion,
        enabledVersions: enabled.join(','),
        destroyedVersions: destroyed.join(','),
      },
    })
  })
  ctx.logger.log('info', 'key.restored', { tenantId: row.tenant_id, enabled: enabled.length })
  return {
    key: await describeTenantKey(ctx, input.tenant, input.name),
    enabledVersions: enabled,
    destroyedVersions: destroyed,
    lockedEnvironments: envs.filter((e) => e.state === 'locked').map((e) => e.name),
  }
}
