import { sql, type Transaction } from 'kysely'
import { AppError } from '../../shared/errors.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { assertUsable, type Environment } from '../environments/environment.ts'
import { appendHistory } from '../history.ts'
import { commitRewrap, rewrapDataKeys } from '../keys/rewrap-data-keys.ts'
import type { ControlDb } from '../schema.ts'

/** The tenant key a DEK moves to. */
export interface TargetKey {
  readonly rowId: string
  readonly name: string
  readonly provider: string
  readonly providerKeyId: string
}

/**
 * Moves an environment's data keys (DEK and field key) from its current key to `to`'s current
 * version: unwrap with the old key, wrap with the new (rewrapDataKeys), then in ONE control
 * transaction the shared conditional update (commitRewrap, also conditional on the state), run
 * `also`, and append the history entry. The data file is not touched: the DEK itself is
 * unchanged, so an open handle stays valid (no data rewrite, no downtime), and so is the field
 * key, so encrypted cells stay readable.
 * @throws ENVIRONMENT_LOCKED, INVALID_STATE, KEY_UNAVAILABLE, KEY_UNWRAP_FAILED
 */
export async function rewrapEnvironmentKey(
  ctx: ControlContext,
  input: {
    env: Environment
    to: TargetKey
    actor: Actor
    action: string
    detail: Readonly<Record<string, string | number | boolean | null>>
    also: (trx: Transaction<ControlDb>) => Promise<void>
  },
): Promise<{ version: number }> {
  const { env, to } = input
  if (env.state !== 'disabled') assertUsable(env)
  // The key, version and wrapped keys as of one read, so the unwrap matches the blobs.
  const row = await ctx.db
    .selectFrom('environments as e')
    .innerJoin('tenant_keys as k', 'k.id', 'e.key_id')
    .select([
      'e.key_id',
      'e.key_version',
      'e.wrapped_dek',
      'e.wrapped_field_key',
      'e.key_layout',
      'k.provider',
      'k.provider_key_id',
    ])
    .where('e.id', '=', env.id)
    .executeTakeFirstOrThrow()
  if (row.wrapped_dek === null) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  const version = (await providerOf(ctx, to.provider).describeKey(to.providerKeyId)).currentVersion
  const prepared = await rewrapDataKeys(ctx, {
    tenantId: env.tenantId,
    environmentId: env.id,
    from: {
      rowId: row.key_id,
      provider: row.provider,
      providerKeyId: row.provider_key_id,
      version: row.key_version,
    },
    to: { rowId: to.rowId, provider: to.provider, providerKeyId: to.providerKeyId, version },
    wrapped: { dek: row.wrapped_dek, fieldKey: row.wrapped_field_key, layout: row.key_layout },
  })
  const at = isoNow(ctx)
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await commitRewrap(trx, prepared, { at, state: env.state }))) {
      throw new AppError('INVALID_STATE', `Environment '${env.name}' changed meanwhile; retry.`)
    }
    await input.also(trx)
    await appendHistory(trx, {
      tenantId: env.tenantId,
      environmentId: env.id,
      at,
      actor: input.actor,
      action: input.action,
      detail: {
        ...input.detail,
        environment: env.name,
        keyName: to.name,
        version,
        fromKeyName: env.key.name,
        fromVersion: row.key_version,
      },
    })
  })
  // The previous wrapped DEK is zeroed in the pages (secure_delete); move the WAL frames that
  // still hold it into the file and truncate the WAL, so it doesn't linger on disk.
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db)
  ctx.logger.log('info', input.action, {
    tenantId: env.tenantId,
    environmentId: env.id,
    version,
  })
  return { version }
}
