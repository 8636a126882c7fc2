import { sql } from 'kysely'
import type { Transaction } from 'kysely'
import { dekContext } from '../../keys/envelope.ts'
import { AppError } from '../../shared/errors.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { assertUsable, type Environment } from '../environments/environment.ts'
import { appendHistory } from '../history.ts'
import type { ControlDb } from '../schema.ts'

/** The tenant key a DEK moves to. */
export interface TargetKey {
  readonly rowId: string
  readonly name: string
  readonly provider: string
  readonly providerKeyId: string
}

/**
 * Moves an environment's DEK from its current key to `to`'s current version: unwrap with the
 * old key, wrap with the new, then in ONE control transaction update key_id, key_version and
 * wrapped_dek (conditional on the row still naming the old key and version), run `also`, and
 * append the history entry. The data file is not touched: the DEK itself is unchanged, so an
 * open handle stays valid (no data rewrite, no downtime).
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
  const row = await ctx.db
    .selectFrom('environments')
    .select(['key_id', 'key_version', 'wrapped_dek'])
    .where('id', '=', env.id)
    .executeTakeFirstOrThrow()
  if (row.wrapped_dek === null) throw new AppError('ENVIRONMENT_NOT_FOUND', 'No such environment.')
  const context = dekContext({
    purpose: 'environment-db',
    tenantId: env.tenantId,
    environmentId: env.id,
  })
  const target = providerOf(ctx, to.provider)
  const info = await target.describeKey(to.providerKeyId)
  const version = info.currentVersion
  const dek = await providerOf(ctx, env.key.provider).unwrap(
    { keyId: env.key.keyId, version: row.key_version },
    row.wrapped_dek,
    context,
  )
  let wrapped: Uint8Array
  try {
    wrapped = await target.wrap({ keyId: to.providerKeyId, version }, dek, context)
  } finally {
    dek.dispose()
  }
  const at = isoNow(ctx)
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('environments')
      .set({ key_id: to.rowId, key_version: version, wrapped_dek: wrapped, updated_at: at })
      .where('id', '=', env.id)
      .where('key_id', '=', row.key_id)
      .where('key_version', '=', row.key_version)
      .where('state', '=', env.state)
      .executeTakeFirst()
    if (r.numUpdatedRows !== 1n) {
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
